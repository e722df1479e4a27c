// SPDX-License-Identifier: Apache-2.0
/**
 * Server-streaming writes that respect backpressure. grpc-js buffers every message a handler writes,
 * whether or not the client reads: a handler that ignores `write()` returning false lets one slow or
 * stalled client make the server hold a whole chain in memory. These helpers write only while the
 * stream has room and wait for 'drain' otherwise, and stop once the call is cancelled or closed.
 */
import type { EventEmitter } from "node:events";

/** The part of a grpc-js server stream the helpers use (a Writable in object mode). */
export interface OutboundStream<T> extends EventEmitter {
  write(item: T): boolean;
  readonly cancelled: boolean;
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
}

/** True once nothing more can be written to `call`. */
export function streamEnded(call: OutboundStream<unknown>): boolean {
  return call.cancelled || call.destroyed || call.writableEnded;
}

/** Resolves true when `call` has room again ('drain'), false when it never will (cancelled, closed, failed). */
export function drained(call: OutboundStream<unknown>): Promise<boolean> {
  if (streamEnded(call)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const settle = (ok: boolean): void => {
      call.off("drain", onDrain);
      for (const event of ENDS) call.off(event, onEnd);
      resolve(ok);
    };
    const onDrain = (): void => settle(true);
    const onEnd = (): void => settle(false);
    call.on("drain", onDrain);
    for (const event of ENDS) call.on(event, onEnd);
  });
}

const ENDS = ["cancelled", "close", "error", "finish"] as const;

/**
 * Writes one item and waits for room if the stream's buffer is now full. Resolves false when the stream has
 * ended (the item may not have been written), true when the caller may write the next item.
 */
export async function writePaced<T>(call: OutboundStream<T>, item: T): Promise<boolean> {
  if (streamEnded(call)) return false;
  try {
    if (call.write(item)) return true;
  } catch {
    return false;
  }
  return drained(call);
}

/** Writes `items` in order with writePaced, at most `limit` of them; resolves with how many were written. */
export async function writeAllPaced<T>(call: OutboundStream<T>, items: Iterable<T>, limit: number): Promise<number> {
  let written = 0;
  for (const item of items) {
    if (written >= limit) break;
    if (streamEnded(call)) break;
    written++;
    if (!(await writePaced(call, item))) break;
  }
  return written;
}
