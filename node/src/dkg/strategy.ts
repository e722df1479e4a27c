// SPDX-License-Identifier: Apache-2.0
/**
 * The DKG driver's extension point: the deal this node sends to each member as dealer. The
 * composition root picks the strategy (faults/ supplies the misbehaving ones); `honestDkg` sends
 * each member the deal the crypto core made for it.
 */
import type { DealMessage } from "./wire.js";

export interface DkgStrategy {
  /**
   * The deal to send in place of `deal` (addressed to member position `deal.to`); `sign` makes this dealer's
   * signature over other commitments, for a deal that should pass as this dealer's.
   */
  deal(deal: DealMessage, sign: (commitments: readonly Uint8Array[]) => Uint8Array): DealMessage;
}

export const honestDkg: DkgStrategy = { deal: (deal) => deal };
