// SPDX-License-Identifier: Apache-2.0
/**
 * Deterministic sampling from a seed: every node derives the same choice from the same bytes, so no
 * message is needed to agree on it. Used for group drawing and for each round's aggregators.
 */
import { sha256 } from "@noble/hashes/sha2.js";

/** Unbiased integers in [0, bound) from a sha256 counter stream (rejection sampling on 48-bit draws). */
export class SeededStream {
  private counter = 0;
  private pool: number[] = [];

  constructor(private readonly key: Uint8Array) {}

  below(bound: number): number {
    const limit = Math.floor(2 ** 48 / bound) * bound;
    for (;;) {
      const v = this.next48();
      if (v < limit) return v % bound;
    }
  }

  private next48(): number {
    if (this.pool.length === 0) {
      const input = new Uint8Array(this.key.length + 4);
      input.set(this.key);
      new DataView(input.buffer).setUint32(this.key.length, this.counter++, false);
      const digest = sha256(input);
      const view = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
      for (let off = 0; off + 6 <= 30; off += 6) this.pool.push(view.getUint32(off, false) * 2 ** 16 + view.getUint16(off + 4, false));
    }
    return this.pool.pop() ?? 0;
  }
}

/**
 * The first `k` items of a uniform permutation of `items` drawn from `stream` (partial Fisher–Yates):
 * `min(k, items.length)` distinct positions, in a bounded number of draws whatever the seed. A sampler
 * that retries until it happens to hit enough distinct items can loop forever on an unlucky seed, and
 * here the seed is a beacon, so every member of the group would hang on the same round.
 */
export function sample<T>(stream: SeededStream, items: readonly T[], k: number): T[] {
  const order = [...items];
  const n = Math.min(k, order.length);
  for (let i = 0; i < n; i++) {
    const j = i + stream.below(order.length - i);
    const a = order[i] as T;
    order[i] = order[j] as T;
    order[j] = a;
  }
  return order.slice(0, n);
}
