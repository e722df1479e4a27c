// SPDX-License-Identifier: Apache-2.0
/**
 * Deterministic group drawing: every node computes the same candidate groups from the seed, so no
 * message is needed to agree on who is in which group. A node may sit in several groups.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { hexToBytes } from "@noble/hashes/utils.js";

const TAG = new TextEncoder().encode("relaylab/groups/v1");

/** Unbiased integer in [0, bound) from a sha256 counter stream (rejection sampling on 48-bit draws). */
class SeededStream {
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
 * The `count` candidate groups of `size` members for `epoch`, each a list of node indices (position i
 * holds key share i+1). `randomness` is the genesis seed (epoch 0) or the beacon that opens the epoch.
 */
export function drawGroups(randomness: Uint8Array | string, epoch: bigint, nodeCount: number, count: number, size: number): number[][] {
  if (size > nodeCount) throw new RangeError(`group size ${size} exceeds node count ${nodeCount}`);
  const bytes = typeof randomness === "string" ? hexToBytes(randomness) : randomness;
  const groups: number[][] = [];
  for (let g = 0; g < count; g++) {
    const key = new Uint8Array(TAG.length + bytes.length + 12);
    key.set(TAG);
    key.set(bytes, TAG.length);
    const view = new DataView(key.buffer);
    view.setBigUint64(TAG.length + bytes.length, epoch, false);
    view.setUint32(TAG.length + bytes.length + 8, g, false);
    const stream = new SeededStream(sha256(key));
    // Partial Fisher–Yates: the first `size` positions of a uniform permutation of all node indices.
    const order = Array.from({ length: nodeCount }, (_, i) => i);
    for (let i = 0; i < size; i++) {
      const j = i + stream.below(nodeCount - i);
      const a = order[i] ?? 0;
      order[i] = order[j] ?? 0;
      order[j] = a;
    }
    groups.push(order.slice(0, size));
  }
  return groups;
}
