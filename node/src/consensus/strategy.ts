// SPDX-License-Identifier: Apache-2.0
/**
 * The consensus driver's extension points: which block each node receives of this node's proposal at a
 * height, and which shares this node signs beyond those the protocol asks for. The composition root picks
 * the strategy (faults/ supplies the misbehaving ones); `honestConsensus` sends every node the one proposed
 * block and signs nothing the protocol did not decide to sign.
 */
import type { Block } from "../gen/relaylab/v1/protocol.js";
import type { BlockHash, CertKind } from "./types.js";

/** The block a proposal sends to each node. */
export type Proposal = (node: number) => Block;

/** A share to sign: notarization or finalization of one block at one height. */
export interface Vote {
  readonly kind: CertKind;
  readonly height: bigint;
  readonly hash: BlockHash;
}

/** What this node sees at a height it is a notary of (and has not finalized yet). */
export interface NotaryView {
  readonly height: bigint;
  /** Valid blocks: rank checked, parent notarized. */
  readonly blocks: readonly BlockHash[];
  readonly notarized: readonly BlockHash[];
}

export interface ConsensusStrategy {
  /** How `block` goes out; `sign` signs another block as this maker (same height and rank). */
  proposal(block: Block, sign: (unsigned: Block) => Block): Proposal;
  /** Shares to sign at a height besides the protocol's own (a share already signed is not signed again). */
  votes(view: NotaryView): readonly Vote[];
}

export const honestConsensus: ConsensusStrategy = { proposal: (block) => () => block, votes: () => [] };
