// SPDX-License-Identifier: Apache-2.0
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs` with
 * `what` and the last error. Polling, not fixed sleeps: the wait ends as soon as the condition holds.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ""}`);
    await sleep(intervalMs);
  }
}

/** Deadline for one gRPC call from a test: generous, since a busy 2-core machine can stall a node for seconds. */
export const CALL_DEADLINE_MS = 60_000;
