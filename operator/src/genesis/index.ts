// SPDX-License-Identifier: Apache-2.0
/** Pure topology functions shared by the operator and the local runner: placement, genesis, network faults. */
export * from "./placement.js";
export * from "./selector.js";
export * from "./genesis.js";
export * from "./network.js";
