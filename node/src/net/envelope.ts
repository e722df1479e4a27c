// SPDX-License-Identifier: Apache-2.0
/** The traffic kind of a node-to-node envelope, read off which of its fields is set: the wire's view, no protocol rules. */
import type { Envelope } from "../gen/relaylab/v1/protocol.js";
import type { P2PMessageKind } from "../metrics/names.js";

/** relaylab_p2p_bytes_total{message} of an envelope. */
export function envelopeKind(envelope: Envelope): P2PMessageKind {
  if (envelope.share) return "share";
  if (envelope.beacon) return "beacon";
  if (envelope.dkg) return "dkg";
  if (envelope.block) return "block";
  if (envelope.notarizationShare) return "notarization_share";
  if (envelope.finalizationShare) return "finalization_share";
  if (envelope.notarization || envelope.finalization) return "certificate";
  if (envelope.ingress) return "ingress";
  return "sync";
}
