// SPDX-License-Identifier: Apache-2.0
/**
 * A keyed, de-duplicating, rate-limited work queue with client-go's semantics:
 * - a key waits in the queue at most once (the dirty set);
 * - a key being processed is never handed to a second worker; if it is added meanwhile it goes
 *   back in when `done` is called;
 * - `addAfter` delays an add (only the earliest pending delay per key is kept);
 * - `addRateLimited` delays by the rate limiter, `forget` resets the key's backoff.
 */
import type { Clock } from "@relaylab/node/clock";
import type { RateLimiter } from "./ratelimiter.js";

export class WorkQueue {
  readonly #queue: string[] = [];
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #waiting = new Map<string, { at: number; cancel: () => void }>();
  readonly #getters: ((key: string | undefined) => void)[] = [];
  #shuttingDown = false;

  constructor(
    readonly clock: Clock,
    readonly limiter: RateLimiter,
    /** Called whenever the number of queued keys changes (for the queue-depth gauge). */
    readonly onDepth: (depth: number) => void = () => {},
  ) {}

  /** Queues `key` unless it is already queued; a key in process is re-queued on `done`. */
  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    this.#push(key);
  }

  /** Queues `key` after `ms`; an earlier pending delay for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.now() + ms;
    const pending = this.#waiting.get(key);
    if (pending !== undefined && pending.at <= at) return;
    pending?.cancel();
    const timer = this.clock.setTimeout(() => {
      this.#waiting.delete(key);
      this.add(key);
    }, ms);
    this.#waiting.set(key, { at, cancel: () => timer.cancel() });
  }

  /** Queues `key` after the rate limiter's delay (call after a failed attempt). */
  addRateLimited(key: string): void {
    this.addAfter(key, this.limiter.when(key));
  }

  /** Resets `key`'s backoff (call after a successful attempt). */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.limiter.retries(key);
  }

  /** Waits for the next key; undefined once the queue shuts down. Call `done` when finished with it. */
  get(): Promise<string | undefined> {
    const key = this.#queue.shift();
    if (key !== undefined) return Promise.resolve(this.#take(key));
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  /** Marks `key` processed; if it was added meanwhile it is queued again. */
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key) && !this.#shuttingDown) this.#push(key);
  }

  /** Keys waiting to be processed (not counting delayed or in-process keys). */
  len(): number {
    return this.#queue.length;
  }

  /** Keys being processed right now. */
  processing(): ReadonlySet<string> {
    return this.#processing;
  }

  /** Stops handing out keys; pending getters get undefined and delayed adds are dropped. */
  shutDown(): void {
    this.#shuttingDown = true;
    for (const w of this.#waiting.values()) w.cancel();
    this.#waiting.clear();
    for (const g of this.#getters.splice(0)) g(undefined);
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  #push(key: string): void {
    const getter = this.#getters.shift();
    if (getter !== undefined) {
      getter(this.#take(key));
      return;
    }
    this.#queue.push(key);
    this.onDepth(this.#queue.length);
  }

  #take(key: string): string {
    this.#processing.add(key);
    this.#dirty.delete(key);
    this.onDepth(this.#queue.length);
    return key;
  }
}
