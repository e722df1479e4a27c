// SPDX-License-Identifier: Apache-2.0
/**
 * BLS signatures and (t, g) threshold BLS (Boldyreva 2003) in the scheme of scheme.ts. A member with secret
 * share s_i = f(i) signs σ_i = s_i·H(m); any t valid partials give the group signature σ = Σ λ_i·σ_i = f(0)·H(m),
 * which verifies against the group key f(0)·G2. Recovery is Lagrange interpolation at 0 (batched inversion)
 * followed by one pippenger multi-scalar multiplication.
 *
 * Fast path (recoverVerified): interpolate the first t partials without verifying them, verify the result once;
 * only if that fails, locate the bad partials by random-linear-combination batch verification and bisection
 * (batch.ts) and retry without them. Every returned signature has passed a full verification against the group
 * key, so an invalid partial can delay recovery but never yield an accepted signature.
 */
import { pippenger } from "@noble/curves/abstract/curve.js";
import { batchVerify, findInvalid, pairingCheck, type BatchItem } from "./batch.js";
import { CryptoError, NotEnoughValidSharesError } from "./errors.js";
import { decodeG1OnCurve, decodePublicKey, decodeSignature, encodeG1, encodeG2, assertSecret } from "./points.js";
import { assertDistinctIndices, assertIndex, assertThreshold, lagrangeAtZero, randomScalar } from "./poly.js";
import { G1, G2, hashToSignatureGroup, type G1Point, type G2Point } from "./scheme.js";

/** Member `index`'s share f(index) of the group secret. */
export interface SecretShare {
  readonly index: number;
  readonly secret: bigint;
}

/** Member `index`'s signature share: a 48-byte compressed G1 point. */
export interface PartialSignature {
  readonly index: number;
  readonly signature: Uint8Array;
}

/** A random non-zero secret key. */
export function generateSecretKey(): bigint {
  return randomScalar();
}

/** The 96-byte G2 public key of a secret. */
export function publicKeyOf(secret: bigint): Uint8Array {
  assertSecret(secret);
  return encodeG2(G2.BASE.multiply(secret));
}

/** The 48-byte signature secret·H(message). */
export function sign(secret: bigint, message: Uint8Array): Uint8Array {
  assertSecret(secret);
  return encodeG1(hashToSignatureGroup(message).multiply(secret));
}

/**
 * True iff `signature` is the signature of `message` under `publicKey`. False for a well-formed wrong signature;
 * CryptoError("malformed_point") for bytes that are not a valid compressed point of the right group.
 */
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const key = decodePublicKey(publicKey);
  const sig = decodeSignature(signature);
  return pairingCheck(sig, hashToSignatureGroup(message), key);
}

/** Member share.index's partial signature on `message`. */
export function partialSign(share: SecretShare, message: Uint8Array): PartialSignature {
  assertIndex(share.index);
  assertSecret(share.secret, "secret share");
  return { index: share.index, signature: sign(share.secret, message) };
}

/** Verifies one partial against its signer's public key share (same failure contract as {@link verify}). */
export function partialVerify(publicKeyShare: Uint8Array, message: Uint8Array, partial: PartialSignature): boolean {
  assertIndex(partial.index);
  return verify(publicKeyShare, message, partial.signature);
}

/**
 * Interpolates the group signature from exactly the first `threshold` partials (the rest are ignored). Does not
 * verify anything: a wrong partial gives a wrong (but well-formed) signature. Throws CryptoError for fewer than
 * `threshold` partials, duplicate or out-of-range indices, and malformed encodings.
 */
export function recoverSignature(partials: readonly PartialSignature[], threshold: number): Uint8Array {
  assertThreshold(threshold);
  if (partials.length < threshold) {
    throw new CryptoError("not_enough_shares", `need ${threshold} partial signatures to recover, got ${partials.length}`);
  }
  const chosen = partials.slice(0, threshold);
  assertDistinctIndices(chosen.map((p) => p.index));
  const points = chosen.map((p) => decodeG1OnCurve(p.signature, `partial signature of member ${p.index}`));
  const signature = interpolate(chosen.map((p) => p.index), points);
  // One subgroup check on the result replaces t checks on the inputs (see tryFastPath).
  if (signature.is0() || !signature.isTorsionFree()) {
    throw new CryptoError("malformed_point", "a partial signature is on the curve but outside the G1 subgroup (or the partials cancel out)");
  }
  return encodeG1(signature);
}

/** Everything recoverVerified needs: the partials in arrival order and how to find each signer's key share. */
export interface RecoverVerifiedInput {
  readonly groupPublicKey: Uint8Array;
  readonly message: Uint8Array;
  readonly partials: readonly PartialSignature[];
  readonly threshold: number;
  /** The member's 96-byte public key share (e.g. from {@link publicKeyShare}). */
  readonly publicKeyShare: (index: number) => Uint8Array;
}

/** A verified group signature and the indices of the partials found invalid on the way (ascending). */
export interface RecoverVerifiedResult {
  readonly signature: Uint8Array;
  readonly invalid: number[];
}

/**
 * Fast path: interpolate the first t partials, verify once against the group key. Fallback: batch-verify the
 * partials (first t, then as many more as still needed), bisect out the invalid ones, interpolate t verified
 * ones and verify that once more. Throws CryptoError("not_enough_shares") when fewer than t valid partials
 * remain; duplicate or out-of-range indices are caller errors (CryptoError), not counted as invalid.
 */
export function recoverVerified(input: RecoverVerifiedInput): RecoverVerifiedResult {
  const { partials, threshold } = input;
  assertThreshold(threshold);
  assertDistinctIndices(partials.map((p) => p.index));
  if (partials.length < threshold) {
    throw new CryptoError("not_enough_shares", `need ${threshold} partial signatures to recover, got ${partials.length}`);
  }
  const groupKey = decodePublicKey(input.groupPublicKey, "group public key");
  const hashed = hashToSignatureGroup(input.message);

  const fast = tryFastPath(partials.slice(0, threshold), hashed, groupKey);
  if (fast !== undefined) return { signature: encodeG1(fast), invalid: [] };

  const valid: BatchItem[] = [];
  const invalid: number[] = [];
  let next = 0;
  while (valid.length < threshold && next < partials.length) {
    const wanted = threshold - valid.length;
    const candidates: BatchItem[] = [];
    for (const partial of partials.slice(next, next + wanted)) {
      const item = toBatchItem(partial, input.publicKeyShare);
      if (item === undefined) invalid.push(partial.index);
      else candidates.push(item);
    }
    next += wanted;
    const bad = new Set(findInvalid(candidates, hashed));
    for (const item of candidates) {
      if (bad.has(item.index)) invalid.push(item.index);
      else valid.push(item);
    }
  }
  invalid.sort((a, b) => a - b);
  if (valid.length < threshold) {
    throw new NotEnoughValidSharesError(`only ${valid.length} of ${partials.length} partial signatures are valid, need ${threshold} (invalid: ${invalid.join(", ")})`, invalid);
  }
  const signature = interpolate(valid.map((it) => it.index), valid.map((it) => it.signature));
  if (!pairingCheck(signature, hashed, groupKey)) {
    throw new CryptoError(
      "invalid_argument",
      "partials verified against their key shares but the recovered signature does not verify: the public key shares do not belong to the group public key",
    );
  }
  return { signature: encodeG1(signature), invalid };
}

/** The recovered signature if the first t partials decode and their interpolation verifies, else undefined. */
function tryFastPath(chosen: readonly PartialSignature[], hashed: G1Point, groupKey: G2Point): G1Point | undefined {
  let points: G1Point[];
  try {
    points = chosen.map((p) => decodeG1OnCurve(p.signature));
  } catch (error) {
    if (error instanceof CryptoError) return undefined;
    throw error;
  }
  const signature = interpolate(chosen.map((p) => p.index), points);
  // The subgroup check on the result stands in for t subgroup checks on the inputs: a torsion component in any
  // partial either survives interpolation (rejected here) or cancels out (the result is then the unique signature).
  if (signature.is0() || !signature.isTorsionFree()) return undefined;
  return pairingCheck(signature, hashed, groupKey) ? signature : undefined;
}

/** Fully decodes a partial and its signer's key share; undefined when the partial's encoding is invalid. */
function toBatchItem(partial: PartialSignature, keyShare: (index: number) => Uint8Array): BatchItem | undefined {
  const publicKey = decodePublicKey(keyShare(partial.index), `public key share of member ${partial.index}`);
  try {
    return { index: partial.index, signature: decodeSignature(partial.signature), publicKey };
  } catch (error) {
    if (error instanceof CryptoError) return undefined;
    throw error;
  }
}

/** Σ λ_i·σ_i by pippenger MSM. */
function interpolate(indices: readonly number[], points: G1Point[]): G1Point {
  return pippenger(G1, points, [...lagrangeAtZero(indices)]);
}

/** True iff every partial is valid for its signer's key share (batch check; for tests and diagnostics). */
export function verifyPartialsBatch(
  message: Uint8Array,
  partials: readonly PartialSignature[],
  publicKeyShare: (index: number) => Uint8Array,
): boolean {
  const items = partials.map((p) => ({
    index: p.index,
    signature: decodeSignature(p.signature, `partial signature of member ${p.index}`),
    publicKey: decodePublicKey(publicKeyShare(p.index), `public key share of member ${p.index}`),
  }));
  return batchVerify(items, hashToSignatureGroup(message));
}
