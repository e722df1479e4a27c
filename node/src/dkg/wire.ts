// SPDX-License-Identifier: Apache-2.0
/** Conversion between the crypto core's DkgMessage and the protocol's DkgBody (pure). */
import type { DkgMessage } from "../crypto/index.js";
import type { DkgBody } from "../gen/relaylab/v1/protocol.js";

/** Wraps a crypto DKG message for the wire. */
export function toBody(epoch: bigint, group: number, sender: number, message: DkgMessage): DkgBody {
  const body: DkgBody = { epoch, group, sender };
  switch (message.type) {
    case "deal":
      return { ...body, deal: { from: message.from, to: message.to, commitments: message.commitments, share: message.share } };
    case "response":
      return { ...body, response: { from: message.from, commitmentDigests: message.commitmentDigests, complaints: message.complaints } };
    case "justification":
      return { ...body, justification: { from: message.from, shares: message.shares } };
  }
}

/** The crypto DKG message inside a body, or undefined when the body carries none (e.g. an outcome). */
export function fromBody(body: DkgBody): DkgMessage | undefined {
  if (body.deal) return { type: "deal", ...body.deal };
  if (body.response) return { type: "response", ...body.response };
  if (body.justification) return { type: "justification", ...body.justification };
  return undefined;
}
