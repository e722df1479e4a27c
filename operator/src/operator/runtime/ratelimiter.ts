// SPDX-License-Identifier: Apache-2.0
/**
 * Rate limiters of client-go's workqueue: per-item exponential backoff combined with an overall
 * token bucket (DefaultControllerRateLimiter: 5 ms → 1000 s per item, 50 qps with a burst of 300).
 */
import type { Clock } from "@relaylab/node/clock";

export interface RateLimiter {
  /** How long `key` must wait before its next attempt; counts the attempt. */
  when(key: string): number;
  /** Resets the failure history of `key` (call on success). */
  forget(key: string): void;
  /** Failures counted for `key` since the last forget. */
  retries(key: string): number;
}

/** base × 2^failures, capped at max. */
export class ItemExponentialRateLimiter implements RateLimiter {
  readonly #failures = new Map<string, number>();
  constructor(
    readonly baseMs = 5,
    readonly maxMs = 1_000_000,
  ) {}
  when(key: string): number {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    return Math.min(this.baseMs * 2 ** n, this.maxMs);
  }
  forget(key: string): void {
    this.#failures.delete(key);
  }
  retries(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}

/** Token bucket over all keys: `qps` tokens per second, at most `burst` saved up. */
export class BucketRateLimiter implements RateLimiter {
  #tokens: number;
  #last: number;
  constructor(
    readonly clock: Clock,
    readonly qps = 50,
    readonly burst = 300,
  ) {
    this.#tokens = burst;
    this.#last = clock.now();
  }
  when(): number {
    const now = this.clock.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.qps);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.qps) * 1000);
  }
  forget(): void {}
  retries(): number {
    return 0;
  }
}

/** The longest wait any of the limiters asks for. */
export class MaxOfRateLimiter implements RateLimiter {
  readonly #limiters: readonly RateLimiter[];
  constructor(...limiters: RateLimiter[]) {
    this.#limiters = limiters;
  }
  when(key: string): number {
    return Math.max(...this.#limiters.map((l) => l.when(key)));
  }
  forget(key: string): void {
    for (const l of this.#limiters) l.forget(key);
  }
  retries(key: string): number {
    return Math.max(...this.#limiters.map((l) => l.retries(key)));
  }
}

/** client-go's DefaultControllerRateLimiter. */
export function defaultControllerRateLimiter(clock: Clock): RateLimiter {
  return new MaxOfRateLimiter(new ItemExponentialRateLimiter(5, 1_000_000), new BucketRateLimiter(clock, 50, 300));
}
