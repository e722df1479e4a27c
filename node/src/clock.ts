// SPDX-License-Identifier: Apache-2.0
/** Time source for everything timing-dependent, injected so tests can control it. */
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
