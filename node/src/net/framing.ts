// SPDX-License-Identifier: Apache-2.0
/**
 * Wire-size accounting. grpc-js does not expose per-message socket bytes, so a message's wire cost is
 * its encoded size plus an estimate of the framing it travels in on a long-lived stream.
 */

/** gRPC length prefix (5 B) + HTTP/2 DATA frame header (9 B) around every message on an open stream. */
export const STREAM_MESSAGE_FRAMING_BYTES = 5 + 9;

/**
 * TLS 1.3 record around a message on a TLS link (net/tls.ts): 5 B header, 1 B inner content type, 16 B AES-GCM
 * tag. A message is written, and so sealed, on its own unless the socket coalesces it with others.
 */
export const TLS_RECORD_BYTES = 5 + 1 + 16;

/** Estimated bytes on the wire for one message of `encodedBytes` sent on an open stream (`tls`: on a TLS link). */
export function wireBytes(encodedBytes: number, tls = false): number {
  return encodedBytes + STREAM_MESSAGE_FRAMING_BYTES + (tls ? TLS_RECORD_BYTES : 0);
}

/** Largest envelope a node accepts; anything bigger is dropped as oversized (a 400-member DKG deal is ~20 KB). */
export const MAX_ENVELOPE_BYTES = 256 * 1024;
