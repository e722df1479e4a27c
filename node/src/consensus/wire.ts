// SPDX-License-Identifier: Apache-2.0
/** Consensus envelopes on the node-to-node stream: their traffic kind and the limits that apply to them. */
import type { Envelope } from "../gen/relaylab/v1/protocol.js";
import type { P2PMessageKind } from "../metrics/names.js";
import { MAX_ENVELOPE_BYTES } from "../net/framing.js";

/** Payload bytes one block may carry: the genesis limit, but never more than fits one envelope with headroom. */
export function blockPayloadLimit(maxBlockBytes: number): number {
  return Math.min(maxBlockBytes, MAX_ENVELOPE_BYTES - 16 * 1024);
}

/** relaylab_p2p_bytes_total{message} of a consensus or ingress envelope. */
export function consensusKind(envelope: Envelope): P2PMessageKind {
  if (envelope.block) return "block";
  if (envelope.notarizationShare) return "notarization_share";
  if (envelope.finalizationShare) return "finalization_share";
  if (envelope.notarization || envelope.finalization) return "certificate";
  if (envelope.ingress) return "ingress";
  return "sync";
}
