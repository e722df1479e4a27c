// SPDX-License-Identifier: Apache-2.0
/**
 * Condition polling for tests and tools, the one helper every test suite uses. Machines running
 * the suites are small and shared, so every wait is on an observable condition with a generous
 * deadline, never a fixed sleep; the wait ends as soon as the condition holds, and on timeout the
 * error names what was awaited and the last failure seen.
 */
import { setTimeout as sleep } from "node:timers/promises";

export interface WaitOptions {
  /** Default 120 s. */
  readonly timeoutMs?: number;
  /** Default 250 ms. */
  readonly intervalMs?: number;
}

/**
 * Calls `probe` until it returns a value other than `undefined` (or `false`) and resolves to that
 * value. A throwing probe counts as "not yet" (a process may be restarting), unless it throws
 * `StopWaiting`, which ends the wait at once.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, options: WaitOptions = {}): Promise<Exclude<T, undefined | false>> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as Exclude<T, undefined | false>;
      last = `probe returned ${String(value)}`;
    } catch (e) {
      if (e instanceof StopWaiting) throw e.cause instanceof Error ? e.cause : e;
      last = `probe threw: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last}`);
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
