// SPDX-License-Identifier: Apache-2.0
/**
 * Pure consensus rules derived from the beacon and the genesis: the block-maker ranking of a height, its
 * notaries, the block hash, and the messages notaries sign. Every node computes the same answers.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { pickAggregators } from "../beacon/engine.js";
import { selectGroup } from "../beacon/chain.js";
import type { GroupSet } from "../beacon/group-set.js";
import { drawGroups } from "../beacon/groups.js";
import { Block } from "../gen/relaylab/v1/protocol.js";
import type { BlockHash, CertKind, Notaries } from "./types.js";

const encoder = new TextEncoder();
const RANKING_TAG = encoder.encode("relaylab/blockmaker-ranking/v1");
const AGGREGATOR_TAG = encoder.encode("relaylab/notary-aggregators/v1");
/** Notaries that recover each certificate at once: two, so one crashed aggregator costs no retransmit delay. */
const CERT_AGGREGATORS = 2;

function tagged(tag: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(tag.length + parts.reduce((n, p) => n + p.length, 0));
  out.set(tag);
  let offset = tag.length;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function be64(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n, false);
  return out;
}

/**
 * The block-maker ranking of the height whose beacon is `beacon`: a uniform permutation of all node
 * indices (position = rank), drawn from sha256(tag ‖ beacon) so it is independent of group selection.
 */
export function blockMakerRanking(beacon: Uint8Array, nodeCount: number): number[] {
  return drawGroups(sha256(tagged(RANKING_TAG, beacon)), 0n, nodeCount, 1, nodeCount)[0] ?? [];
}

/**
 * The notaries of the height whose beacon is `beacon`: the group it selects (the one that signs the next beacon
 * round), with the genesis consensus threshold (not the group's beacon threshold).
 */
export function notariesFor(beacon: Uint8Array, groups: GroupSet, threshold: number): Notaries | undefined {
  if (groups.count === 0) return undefined;
  const index = selectGroup(beacon, groups.count);
  const group = groups.group(index);
  if (group === undefined) return undefined;
  return {
    group: index,
    epoch: groups.epoch,
    members: group.members,
    threshold,
    aggregators: pickAggregators(sha256(tagged(AGGREGATOR_TAG, beacon)), group.members).slice(0, CERT_AGGREGATORS),
  };
}

/** Hash of the (virtual, always final) genesis block that height 1 builds on. */
export function genesisHash(seedHex: string): BlockHash {
  return bytesToHex(sha256(tagged(encoder.encode("relaylab/genesis-block/v1"), hexToBytes(seedHex))));
}

/** The bytes a maker signs and everyone hashes: the block encoded with an empty signature. */
export function unsignedBlockBytes(block: Block): Uint8Array {
  return Block.encode({ ...block, signature: new Uint8Array() }).finish();
}

/** The block hash: sha256 of the unsigned encoding (independent of the signature). */
export function blockHash(block: Block): BlockHash {
  return bytesToHex(sha256(tagged(encoder.encode("relaylab/block/v1"), unsignedBlockBytes(block))));
}

/** What a notary threshold-signs: a digest of kind, height and block hash, disjoint from beacon round messages by its tag. */
export function certMessage(kind: CertKind, height: bigint, hash: BlockHash): Uint8Array {
  const tag = encoder.encode(kind === "n" ? "relaylab/notarize/v1" : "relaylab/finalize/v1");
  return sha256(tagged(tag, be64(height), hexToBytes(hash)));
}
