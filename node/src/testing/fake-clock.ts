// SPDX-License-Identifier: Apache-2.0
/**
 * A manual clock for tests of the node and the operator: time moves only when the test advances it,
 * and due timers fire in order, each seeing the time it was due at.
 */
import type { Clock, Timer } from "../clock.js";

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
