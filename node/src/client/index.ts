// SPDX-License-Identifier: Apache-2.0
/** The node client: one node's Public and Control APIs with deadlines, a pool, and the fault vocabulary. */
export * from "./node-client.js";
export * from "./pool.js";
export * from "./faults.js";
export * from "./exchange.js";
export { signedHello, type HelloFields } from "../net/hello.js";
export { ByzantineBehaviour, FaultSet } from "../gen/relaylab/v1/control.js";
export type { Beacon, FinalizedBlock, GroupSet, MessageStatus, NodeStatus } from "../gen/relaylab/v1/public.js";
export { MessageState } from "../gen/relaylab/v1/public.js";
