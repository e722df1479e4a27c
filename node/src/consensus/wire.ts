// SPDX-License-Identifier: Apache-2.0
/** The limit the node-to-node stream puts on consensus messages. */
import { MAX_ENVELOPE_BYTES } from "../net/framing.js";

/** Payload bytes one block may carry: the genesis limit, but never more than fits one envelope with headroom. */
export function blockPayloadLimit(maxBlockBytes: number): number {
  return Math.min(maxBlockBytes, MAX_ENVELOPE_BYTES - 16 * 1024);
}
