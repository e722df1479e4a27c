// SPDX-License-Identifier: Apache-2.0
/**
 * The DKG driver's extension points: the deal this node sends to each member as dealer, the response (its
 * commitment digests and complaints) it sends the members, and which outcome each node is sent of this member's
 * signed outcome of a run. The composition root picks the strategy
 * (faults/ supplies the misbehaving ones); `honestDkg` sends each member the deal the crypto core made for it
 * and every node the one outcome the run ended with.
 */
import type { DkgMessage } from "../crypto/index.js";
import type { DkgOutcome } from "../gen/relaylab/v1/protocol.js";
import type { DealMessage, DkgRunHeader } from "./wire.js";

/** A member's response: the commitment digests it saw and the dealers it complains against. */
export type ResponseMessage = Extract<DkgMessage, { type: "response" }>;

/** The outcome each node receives of this member's outcome (the driver signs each distinct one as this member's). */
export type OutcomeSend = (node: number) => DkgOutcome;

export interface DkgStrategy {
  /**
   * The deal to send in place of `deal` (addressed to member position `deal.to`); `sign` makes this dealer's
   * signature over other commitments, for a deal that should pass as this dealer's.
   */
  deal(deal: DealMessage, sign: (commitments: readonly Uint8Array[]) => Uint8Array): DealMessage;
  /** The response to send in place of `response`, in a run of `members` members (positions 1..members). */
  response(response: ResponseMessage, members: number): ResponseMessage;
  /** How `outcome`, what this member's run of `run.group` ended with, goes out to the nodes. */
  outcome(outcome: DkgOutcome, run: DkgRunHeader): OutcomeSend;
}

export const honestDkg: DkgStrategy = { deal: (deal) => deal, response: (response) => response, outcome: (outcome) => () => outcome };
