// SPDX-License-Identifier: Apache-2.0
/**
 * Condition polling for the real-API-server suite. The machine is small and shared, so every
 * wait is on an observable condition with a generous deadline, never a fixed sleep; on timeout
 * the error names what was awaited and the last value or failure seen.
 */
import { setTimeout as sleep } from "node:timers/promises";

export interface WaitOptions {
  /** Default 120 s. */
  readonly timeoutMs?: number;
  /** Default 250 ms. */
  readonly intervalMs?: number;
}

/**
 * Calls `probe` until it returns a value other than `undefined` and resolves to that value.
 * A throwing probe counts as "not yet" (the API server may be restarting), unless it throws
 * `StopWaiting`, which ends the wait at once.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, options: WaitOptions = {}): Promise<Exclude<T, undefined>> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let last: string;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value as Exclude<T, undefined>;
      last = "condition not met";
    } catch (e) {
      if (e instanceof StopWaiting) throw e.cause instanceof Error ? e.cause : e;
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs ?? 120_000} ms waiting for ${what}; last: ${last}`);
    await sleep(options.intervalMs ?? 250);
  }
}

/** Thrown from a `waitFor` probe when waiting longer cannot help (e.g. a process exited). */
export class StopWaiting extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = "StopWaiting";
  }
}
