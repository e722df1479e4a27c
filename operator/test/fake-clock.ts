// SPDX-License-Identifier: Apache-2.0
/** A manual clock: timers fire only when a test advances time. */
import type { Clock, Timer } from "@relaylab/node/clock";

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

  /** The same reading as now(): a fake clock has one time line, started at a realistic epoch. */
  wallNow(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const id = this.#next++;
    this.#timers.push({ at: this.#now + ms, fn, id });
    return {
      cancel: () => {
        this.#timers = this.#timers.filter((t) => t.id !== id);
      },
    };
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
