// SPDX-License-Identifier: Apache-2.0
/** Typed clients for a node's Public and Control APIs (used by the local runner, tests and tools). */
import * as grpc from "@grpc/grpc-js";
import { ControlClient } from "../gen/relaylab/v1/control.js";
import { PublicClient } from "../gen/relaylab/v1/public.js";

export { ControlClient, PublicClient };

/** A Public API client for `address` (host:port, plaintext). */
export function publicClient(address: string): PublicClient {
  return new PublicClient(address, grpc.credentials.createInsecure());
}

/** A Control API client for `address` (host:port, plaintext; control listeners are loopback-only). */
export function controlClient(address: string): ControlClient {
  return new ControlClient(address, grpc.credentials.createInsecure());
}

/** Promise form of a unary grpc-js call: `unary((cb) => client.status({}, cb))`. */
export function unary<T>(call: (callback: (err: grpc.ServiceError | null, value: T) => void) => unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    call((err, value) => (err ? reject(err) : resolve(value)));
  });
}
