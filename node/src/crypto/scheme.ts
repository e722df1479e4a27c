// SPDX-License-Identifier: Apache-2.0
/**
 * The one signature scheme of relaylab: BLS12-381 in the minimal-signature-size variant of
 * draft-irtf-cfrg-bls-signature-05 (signatures in G1, 48-byte compressed; public keys in G2, 96-byte compressed),
 * basic scheme (`NUL`), messages hashed to G1 with RFC 9380 `hash_to_curve` (expand_message_xmd with SHA-256,
 * simplified SWU, random oracle). This is drand's quicknet scheme `bls-unchained-g1-rfc9380`, so signatures made
 * here verify with any IETF-BLS implementation and quicknet beacons verify here.
 */
import type { Fp2 } from "@noble/curves/abstract/tower.js";
import type { WeierstrassPoint } from "@noble/curves/abstract/weierstrass.js";
import { bls12_381 } from "@noble/curves/bls12-381.js";

/** RFC 9380 domain-separation tag for hashing messages to G1 (quicknet's DST, pinned by known-answer tests). */
export const SIGNATURE_DST = "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_";
/** Compressed G1 point: a (partial or group) signature. */
export const SIGNATURE_BYTES = 48;
/** Compressed G2 point: a public key, public key share or Feldman commitment. */
export const PUBLIC_KEY_BYTES = 96;
/** Big-endian scalar in Fr (secret shares on the wire). */
export const SCALAR_BYTES = 32;
/** Largest share index; drand's partial-signature framing carries the index in 2 bytes. */
export const MAX_INDEX = 0xffff;

/** The noble curve bundle behind the scheme; other crypto modules reach the curve only through these names. */
export const curve = bls12_381;
/** Signature group (G1). */
export const G1 = bls12_381.G1.Point;
/** Public-key group (G2). */
export const G2 = bls12_381.G2.Point;
/** The scalar field Fr (order r of G1 and G2). */
export const Fr = bls12_381.fields.Fr;

/** A point of the signature group. */
export type G1Point = WeierstrassPoint<bigint>;
/** A point of the public-key group. */
export type G2Point = WeierstrassPoint<Fp2>;

/** H(m): the message hashed to G1 under {@link SIGNATURE_DST}. */
export function hashToSignatureGroup(message: Uint8Array): G1Point {
  return bls12_381.shortSignatures.hash(message, SIGNATURE_DST);
}
