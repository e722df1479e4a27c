// SPDX-License-Identifier: Apache-2.0
/**
 * The DKG driver's extension points: the deal this node sends to each member as dealer, and which outcome
 * each node is sent of this member's signed outcome of a run. The composition root picks the strategy
 * (faults/ supplies the misbehaving ones); `honestDkg` sends each member the deal the crypto core made for it
 * and every node the one outcome the run ended with.
 */
import type { DkgOutcome } from "../gen/relaylab/v1/protocol.js";
import type { DealMessage, DkgRunHeader } from "./wire.js";

/** The outcome each node receives of this member's outcome (the driver signs each distinct one as this member's). */
export type OutcomeSend = (node: number) => DkgOutcome;

export interface DkgStrategy {
  /**
   * The deal to send in place of `deal` (addressed to member position `deal.to`); `sign` makes this dealer's
   * signature over other commitments, for a deal that should pass as this dealer's.
   */
  deal(deal: DealMessage, sign: (commitments: readonly Uint8Array[]) => Uint8Array): DealMessage;
  /** How `outcome`, what this member's run of `run.group` ended with, goes out to the nodes. */
  outcome(outcome: DkgOutcome, run: DkgRunHeader): OutcomeSend;
}

export const honestDkg: DkgStrategy = { deal: (deal) => deal, outcome: (outcome) => () => outcome };
