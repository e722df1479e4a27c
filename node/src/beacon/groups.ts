// SPDX-License-Identifier: Apache-2.0
/**
 * Deterministic group drawing: every node computes the same candidate groups from the seed, so no
 * message is needed to agree on who is in which group. A node may sit in several groups.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { hexToBytes } from "@noble/hashes/utils.js";
import { sample, SeededStream } from "./sampling.js";

const TAG = new TextEncoder().encode("relaylab/groups/v1");

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
    // The first `size` positions of a uniform permutation of all node indices.
    groups.push(sample(new SeededStream(sha256(key)), Array.from({ length: nodeCount }, (_, i) => i), size));
  }
  return groups;
}
