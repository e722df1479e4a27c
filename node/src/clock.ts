// SPDX-License-Identifier: Apache-2.0
/** Time source for everything timing-dependent in the node and the operator, injected so tests can control it. */
export interface Clock {
  /** Milliseconds, monotonic within the process. */
  now(): number;
  /** Wall-clock milliseconds since the Unix epoch (for replay windows between processes). */
  wallNow(): number;
  setTimeout(fn: () => void, ms: number): Timer;
}

/** A scheduled callback that can be cancelled. */
export interface Timer {
  cancel(): void;
}

/** Resolves after `ms` on `clock`, or early (without rejecting) when `signal` aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const done = (): void => {
      timer.cancel();
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = clock.setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** The real clock: performance.now() and the runtime's timers (unref'd so they never keep the process alive). */
export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, ms);
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
};
