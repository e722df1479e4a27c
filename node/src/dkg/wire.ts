// SPDX-License-Identifier: Apache-2.0
/**
 * Conversion between the crypto core's DkgMessage and the protocol's DkgBody (pure). A deal's share never goes on
 * the wire in the clear: the caller seals it to the recipient (sealing.ts) and opens it on receipt.
 */
import type { DkgMessage } from "../crypto/index.js";
import type { DkgBody, DkgDeal } from "../gen/relaylab/v1/protocol.js";

/** A crypto-core deal: the one message that carries a private share. */
export type DealMessage = Extract<DkgMessage, { type: "deal" }>;

/** Which DKG run a body belongs to: the epoch, the attempt of its DKG, the candidate group, and the signer. */
export type DkgRunHeader = Pick<DkgBody, "epoch" | "attempt" | "group" | "sender">;

/** A deal's share as it travels: sealed, and the two sealing keys it is sealed between. */
export interface SealedShare {
  readonly sealedShare: Uint8Array;
  readonly recipientKey: Uint8Array;
  readonly dealerKey: Uint8Array;
}

/** Wraps a crypto DKG message for the wire; `seal` turns a deal's share into its sealed form. */
export function toBody(header: DkgRunHeader, message: DkgMessage, seal: (deal: DealMessage) => SealedShare): DkgBody {
  const body: DkgBody = { ...header };
  switch (message.type) {
    case "deal":
      return { ...body, deal: { from: message.from, to: message.to, commitments: message.commitments, ...seal(message), digestSignature: message.digestSignature } };
    case "response":
      return { ...body, response: { from: message.from, commitmentDigests: message.commitmentDigests, complaints: message.complaints } };
    case "justification":
      return { ...body, justification: { from: message.from, shares: message.shares, view: message.view } };
  }
}

/**
 * The crypto DKG message inside a body, or undefined when the body carries none (e.g. an outcome). `open` returns
 * a deal's plaintext share, or an empty array when it does not open: the crypto core rejects that like any invalid
 * share, so the recipient complains and the dealer must justify.
 */
export function fromBody(body: DkgBody, open: (deal: DkgDeal) => Uint8Array): DkgMessage | undefined {
  if (body.deal) {
    const { from, to, commitments, digestSignature } = body.deal;
    return { type: "deal", from, to, commitments, digestSignature, share: open(body.deal) };
  }
  if (body.response) return { type: "response", ...body.response };
  if (body.justification) return { type: "justification", ...body.justification };
  return undefined;
}
