// SPDX-License-Identifier: Apache-2.0
/**
 * The consensus driver's extension point: which block each node receives of this node's proposal at a
 * height. The composition root picks the strategy (faults/ supplies the misbehaving ones);
 * `honestConsensus` sends every node the one proposed block.
 */
import type { Block } from "../gen/relaylab/v1/protocol.js";

/** The block a proposal sends to each node. */
export type Proposal = (node: number) => Block;

export interface ConsensusStrategy {
  /** How `block` goes out; `sign` signs another block as this maker (same height and rank). */
  proposal(block: Block, sign: (unsigned: Block) => Block): Proposal;
}

export const honestConsensus: ConsensusStrategy = { proposal: (block) => () => block };
