// SPDX-License-Identifier: Apache-2.0
/**
 * The Hello that opens every Exchange stream: the sender's identity signature over (from, to, time, the
 * receiver's per-stream challenge). With the link pinned by TLS (tls.ts), it is the peer's proof of identity:
 * the challenge makes a Hello good for one stream only, and `to` for one receiver only, so neither a replayed
 * nor a relayed Hello opens a stream.
 */
import { Envelope, Hello } from "../gen/relaylab/v1/protocol.js";
import { signWithIdentity } from "../identity/index.js";

/** The response header with the receiver's challenge for the stream (binary: the name ends in -bin). */
export const HELLO_CHALLENGE_HEADER = "relaylab-hello-challenge-bin";
/** Bytes of a Hello challenge. */
export const HELLO_CHALLENGE_BYTES = 16;

/** The signature domain of a subnet's Hellos. */
export function helloDomain(subnet: string): string {
  return `hello/${subnet}`;
}

export interface HelloFields {
  readonly subnet: string;
  readonly from: number;
  readonly to: number;
  /** The receiver's challenge for this stream, from its HELLO_CHALLENGE_HEADER. */
  readonly challenge: Uint8Array;
  readonly timeMs: number;
}

/** The encoded Envelope carrying node `from`'s Hello, signed with its identity `secret`. */
export function signedHello(fields: HelloFields, secret: Uint8Array): Uint8Array {
  const unsigned: Hello = { from: fields.from, to: fields.to, timeMs: BigInt(fields.timeMs), signature: new Uint8Array(), challenge: fields.challenge };
  const signature = signWithIdentity(secret, helloDomain(fields.subnet), Hello.encode(unsigned).finish());
  return Envelope.encode({ hello: { ...unsigned, signature } }).finish();
}

/** The challenge in an Exchange stream's response headers (empty when there is none). */
export function challengeOf(headers: { get(key: string): unknown[] }): Uint8Array {
  const value = headers.get(HELLO_CHALLENGE_HEADER)[0];
  return value instanceof Buffer ? new Uint8Array(value) : new Uint8Array();
}
