// SPDX-License-Identifier: Apache-2.0
/** A manual clock: timers fire only when a test advances time. */
import type { Clock } from "../src/runtime/clock.js";

export class FakeClock implements Clock {
  #now: number;
  #timers: { at: number; fn: () => void; id: number }[] = [];
  #next = 0;

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const id = this.#next++;
    this.#timers.push({ at: this.#now + ms, fn, id });
    return () => {
      this.#timers = this.#timers.filter((t) => t.id !== id);
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted === true) return resolve();
      const cancel = this.setTimer(ms, resolve);
      signal?.addEventListener(
        "abort",
        () => {
          cancel();
          resolve();
        },
        { once: true },
      );
    });
  }

  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (due === undefined) break;
      this.#timers = this.#timers.filter((t) => t.id !== due.id);
      this.#now = Math.max(this.#now, due.at);
      due.fn();
    }
    this.#now = end;
  }

  /** Timers waiting. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Milliseconds until the earliest waiting timer fires, undefined when none waits. */
  get nextDueIn(): number | undefined {
    return this.#timers.length === 0 ? undefined : Math.min(...this.#timers.map((t) => t.at)) - this.#now;
  }
}

/** Lets queued microtasks and promise continuations run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Polling options for waits on in-memory fakes: they change within microseconds, so poll often. */
export const POLL_FAST = { timeoutMs: 60_000, intervalMs: 5 } as const;
