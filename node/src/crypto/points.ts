// SPDX-License-Identifier: Apache-2.0
/**
 * Wire encodings of the scheme (ZCash BLS12-381 serialization, as in draft-irtf-cfrg-pairing-friendly-curves
 * appendix C): compressed G1/G2 points and 32-byte big-endian scalars. Decoders are strict: exact length,
 * compression flag set, no point at infinity (an identity key or signature is never legitimate here), canonical
 * field elements (< p; noble reduces silently), and for the strict variants membership in the prime-order subgroup.
 * Every failure is a CryptoError, never a library exception.
 */
import { bytesToNumberBE, equalBytes, numberToBytesBE } from "@noble/curves/utils.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { CryptoError } from "./errors.js";
import { Fr, G1, G2, PUBLIC_KEY_BYTES, SCALAR_BYTES, SIGNATURE_BYTES, type G1Point, type G2Point } from "./scheme.js";

const Fp = G1.Fp;
const COMPRESSED = 0x80;
const INFINITY = 0x40;
const SORT = 0x20;

/**
 * Encodes a G1 point (signature) as 48 compressed bytes. Callers pass points known to be in G1 (products of
 * checked points); noble's toBytes() would repeat a subgroup check on every freshly computed point.
 */
export function encodeG1(point: G1Point): Uint8Array {
  const { x, y } = point.toAffine();
  return withFlags(numberToBytesBE(x, SIGNATURE_BYTES), y, point.is0());
}

/** Encodes a G2 point (public key, commitment) as 96 compressed bytes; same precondition as {@link encodeG1}. */
export function encodeG2(point: G2Point): Uint8Array {
  const { x, y } = point.toAffine();
  const bytes = new Uint8Array(PUBLIC_KEY_BYTES);
  bytes.set(numberToBytesBE(x.c1, SIGNATURE_BYTES), 0);
  bytes.set(numberToBytesBE(x.c0, SIGNATURE_BYTES), SIGNATURE_BYTES);
  // ZCash sign rule: the first non-zero of (c1, c0) decides whether y is the "larger" root.
  return withFlags(bytes, y.c1 !== 0n ? y.c1 : y.c0, point.is0());
}

function withFlags(bytes: Uint8Array, signDecider: bigint, infinity: boolean): Uint8Array {
  if (infinity) {
    bytes.fill(0);
    bytes[0] = COMPRESSED | INFINITY;
  } else {
    bytes[0] = (bytes[0] ?? 0) | COMPRESSED | (isLargerRoot(signDecider) ? SORT : 0);
  }
  return bytes;
}

/** y > (p − 1)/2, the sort flag of the compressed encoding. */
function isLargerRoot(y: bigint): boolean {
  return y * 2n > Fp.ORDER;
}

/** Decodes a signature with every check, including the (expensive) subgroup check. */
export function decodeSignature(bytes: Uint8Array, what = "signature"): G1Point {
  const point = decodeG1OnCurve(bytes, what);
  if (!point.isTorsionFree()) throw new CryptoError("malformed_point", `${what} is on the curve but not in the G1 subgroup`);
  return point;
}

/**
 * Decodes a signature to a point on the curve WITHOUT the subgroup check (~5× cheaper). Only for inputs whose
 * combination is subgroup-checked afterwards (the recovered signature), where a torsion component cannot survive.
 */
export function decodeG1OnCurve(bytes: Uint8Array, what = "signature"): G1Point {
  checkLength(bytes, SIGNATURE_BYTES, what);
  const x = bytesToNumberBE(withoutFlags(bytes, what));
  if (x >= Fp.ORDER) throw new CryptoError("malformed_point", `${what}: x coordinate is not below the field modulus`);
  const y2 = Fp.add(Fp.pow(x, 3n), 4n);
  let y: bigint;
  try {
    y = Fp.sqrt(y2);
  } catch {
    throw new CryptoError("malformed_point", `${what}: x coordinate is not on the BLS12-381 G1 curve`);
  }
  if (isLargerRoot(y) !== (((bytes[0] ?? 0) & SORT) !== 0)) y = Fp.neg(y);
  return G1.fromAffine({ x, y });
}

const Fp2 = G2.Fp;
const G2_B = Fp2.create({ c0: 4n, c1: 4n }); // y² = x³ + 4(1 + i)

/**
 * Decodes a G2 point WITHOUT the subgroup check (the check is ~60% of a strict decode). Only for inputs whose
 * sum is subgroup-checked afterwards, with a way to pin a failure on its source (DKG commitments).
 */
export function decodeG2OnCurve(bytes: Uint8Array, what = "commitment"): G2Point {
  checkLength(bytes, PUBLIC_KEY_BYTES, what);
  const payload = withoutFlags(bytes, what);
  const c1 = bytesToNumberBE(payload.subarray(0, SIGNATURE_BYTES));
  const c0 = bytesToNumberBE(payload.subarray(SIGNATURE_BYTES));
  if (c0 >= Fp.ORDER || c1 >= Fp.ORDER) throw new CryptoError("malformed_point", `${what}: x coordinate is not below the field modulus`);
  const x = Fp2.create({ c0, c1 });
  let y: typeof x;
  try {
    y = Fp2.sqrt(Fp2.add(Fp2.mul(Fp2.sqr(x), x), G2_B));
  } catch {
    throw new CryptoError("malformed_point", `${what}: x coordinate is not on the BLS12-381 G2 curve`);
  }
  if (isLargerRoot(y.c1 !== 0n ? y.c1 : y.c0) !== (((bytes[0] ?? 0) & SORT) !== 0)) y = Fp2.neg(y);
  return G2.fromAffine({ x, y });
}

const g2Cache = new Map<string, G2Point>();
// Several groups' key shares and commitments per epoch (a 400-member group alone has 400 + 201); ~1 KiB each.
const G2_CACHE_LIMIT = 16384;

/**
 * Decodes a public key / public key share / commitment with every check. Results are memoised by their bytes
 * (bounded, least recently used evicted): a group's key shares are fixed for an epoch, and decoding one costs ~2 ms (square root in Fp2 plus
 * the subgroup check), which would otherwise be paid per share per round.
 */
export function decodePublicKey(bytes: Uint8Array, what = "public key"): G2Point {
  checkLength(bytes, PUBLIC_KEY_BYTES, what);
  const key = bytesToHex(bytes);
  const cached = g2Cache.get(key);
  if (cached !== undefined) {
    // Least-recently-used order: re-inserting moves the entry to the end of the Map's iteration order.
    g2Cache.delete(key);
    g2Cache.set(key, cached);
    return cached;
  }
  withoutFlags(bytes, what);
  let point: G2Point;
  try {
    point = G2.fromBytes(bytes);
  } catch {
    throw new CryptoError("malformed_point", `${what} is not a valid compressed G2 point in the prime-order subgroup`);
  }
  // Non-canonical coordinates (>= p) decode modulo p in noble; re-encoding exposes them.
  if (!equalBytes(encodeG2(point), bytes)) throw new CryptoError("malformed_point", `${what} is not canonically encoded`);
  if (g2Cache.size >= G2_CACHE_LIMIT) {
    const oldest = g2Cache.keys().next().value;
    if (oldest !== undefined) g2Cache.delete(oldest);
  }
  g2Cache.set(key, point);
  return point;
}

/** Encodes a scalar of Fr as 32 big-endian bytes. */
export function encodeScalar(scalar: bigint): Uint8Array {
  return numberToBytesBE(scalar, SCALAR_BYTES);
}

/** Decodes a canonical (< r) 32-byte big-endian scalar. */
export function decodeScalar(bytes: Uint8Array, what = "scalar"): bigint {
  if (!(bytes instanceof Uint8Array) || bytes.length !== SCALAR_BYTES) {
    throw new CryptoError("malformed_scalar", `${what} must be ${SCALAR_BYTES} bytes`);
  }
  const value = bytesToNumberBE(bytes);
  if (value >= Fr.ORDER) throw new CryptoError("malformed_scalar", `${what} is not below the group order r`);
  return value;
}

/** Checks that a secret is a usable signing key (0 < s < r), without echoing it. */
export function assertSecret(secret: bigint, what = "secret key"): void {
  if (typeof secret !== "bigint" || secret <= 0n || secret >= Fr.ORDER) {
    throw new CryptoError("malformed_scalar", `${what} must be a bigint in [1, r-1]`);
  }
}

function checkLength(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array)) throw new CryptoError("malformed_point", `${what} must be a Uint8Array`);
  if (bytes.length !== length) {
    throw new CryptoError("malformed_point", `${what} must be ${length} bytes (compressed), got ${bytes.length}`);
  }
}

/** Validates the three flag bits and returns the payload with them cleared. */
function withoutFlags(bytes: Uint8Array, what: string): Uint8Array {
  const flags = bytes[0] ?? 0;
  if ((flags & COMPRESSED) === 0) throw new CryptoError("malformed_point", `${what} must use the compressed encoding`);
  if ((flags & INFINITY) !== 0) throw new CryptoError("malformed_point", `${what} is the point at infinity`);
  const payload = Uint8Array.from(bytes);
  payload[0] = flags & 0x1f;
  return payload;
}
