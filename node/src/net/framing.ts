// SPDX-License-Identifier: Apache-2.0
/**
 * Wire-size accounting. grpc-js does not expose per-message socket bytes, so a message's wire cost is
 * its encoded size plus an estimate of the framing it travels in on a long-lived stream.
 */

/** gRPC length prefix (5 B) + HTTP/2 DATA frame header (9 B) around every message on an open stream. */
export const STREAM_MESSAGE_FRAMING_BYTES = 5 + 9;

/** Estimated bytes on the wire for one message of `encodedBytes` sent on an open stream. */
export function wireBytes(encodedBytes: number): number {
  return encodedBytes + STREAM_MESSAGE_FRAMING_BYTES;
}

/** Largest envelope a node accepts; anything bigger is dropped as oversized (a 400-member DKG deal is ~20 KB). */
export const MAX_ENVELOPE_BYTES = 256 * 1024;
