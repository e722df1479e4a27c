// SPDX-License-Identifier: Apache-2.0
/**
 * Polynomials over Fr, Shamir secret sharing (Shamir 1979) and Feldman verifiable secret sharing (Feldman 1987)
 * with commitments in G2, plus Lagrange interpolation at 0. A (t, g) sharing uses a random polynomial
 * f(x) = a_0 + a_1·x + … + a_{t-1}·x^{t-1}; member i (1-based) holds f(i); the commitments are A_j = a_j·G2 and
 * member i's public key share is f(i)·G2 = Σ_j A_j·i^j. Any t shares determine f(0) = Σ λ_i·f(i) with
 * λ_i = Π_{j≠i} x_j / (x_j − x_i).
 */
import { FpInvertBatch } from "@noble/curves/abstract/modular.js";
import { CryptoError } from "./errors.js";
import { Fr, G2, MAX_INDEX, curve, type G2Point } from "./scheme.js";

/** Coefficients a_0..a_{t-1} of a polynomial over Fr (a_0 is the shared secret). */
export type Polynomial = readonly bigint[];

/** A uniformly random non-zero scalar from the system CSPRNG. */
export function randomScalar(): bigint {
  for (;;) {
    const candidate = Fr.fromBytes(curve.utils.randomSecretKey());
    if (candidate !== 0n) return candidate;
  }
}

/** A random polynomial of degree threshold−1, optionally with a given constant term (the secret). */
export function randomPolynomial(threshold: number, secret: bigint = randomScalar()): Polynomial {
  assertThreshold(threshold);
  return [secret, ...Array.from({ length: threshold - 1 }, randomScalar)];
}

/** f(x) over Fr by Horner's rule. */
export function evaluatePolynomial(poly: Polynomial, x: bigint): bigint {
  let acc = 0n;
  for (let j = poly.length - 1; j >= 0; j--) acc = Fr.add(Fr.mul(acc, x), poly[j] ?? 0n);
  return acc;
}

/** Feldman commitments A_j = a_j·G2. */
export function commitPolynomial(poly: Polynomial): G2Point[] {
  return poly.map((a) => G2.BASE.multiply(a));
}

/**
 * Σ_j A_j·index^j by Horner's rule: each step multiplies by the small integer `index` (≤ 16 bits), far cheaper
 * than t full-width scalar multiplications or an MSM with scalars index^j mod r.
 */
export function evaluateCommitments(commitments: readonly G2Point[], index: number): G2Point {
  assertIndex(index);
  let acc = G2.ZERO;
  for (let j = commitments.length - 1; j >= 0; j--) {
    const a = commitments[j];
    if (a === undefined) continue;
    acc = timesSmall(acc, index).add(a);
  }
  return acc;
}

/**
 * point·k for a small public k by plain double-and-add: ~2.5× faster than noble's multiplyUnsafe, whose
 * endomorphism split and window tables only pay off for full-width scalars.
 */
function timesSmall(point: G2Point, k: number): G2Point {
  let acc = G2.ZERO;
  for (let bit = 31 - Math.clz32(k); bit >= 0; bit--) {
    acc = acc.double();
    if ((k >>> bit) & 1) acc = acc.add(point);
  }
  return acc;
}

/** Feldman check: does `share` equal f(index) for the polynomial committed to by `commitments`? */
export function verifyShare(commitments: readonly G2Point[], index: number, share: bigint): boolean {
  if (share <= 0n || share >= Fr.ORDER) return false;
  return G2.BASE.multiply(share).equals(evaluateCommitments(commitments, index));
}

/** Throws CryptoError("invalid_index") unless index is an integer in [1, MAX_INDEX]. */
export function assertIndex(index: number): void {
  if (!Number.isSafeInteger(index) || index < 1 || index > MAX_INDEX) {
    throw new CryptoError("invalid_index", `share index must be an integer in [1, ${MAX_INDEX}], got ${String(index)}`);
  }
}

/** Throws CryptoError("invalid_argument") unless threshold is an integer in [1, MAX_INDEX]. */
export function assertThreshold(threshold: number): void {
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > MAX_INDEX) {
    throw new CryptoError("invalid_argument", `threshold must be an integer in [1, ${MAX_INDEX}], got ${String(threshold)}`);
  }
}

/** Throws CryptoError("invalid_index" | "duplicate_index") for an index list unusable in interpolation. */
export function assertDistinctIndices(indices: readonly number[]): void {
  const seen = new Set<number>();
  for (const index of indices) {
    assertIndex(index);
    if (seen.has(index)) throw new CryptoError("duplicate_index", `share index ${index} appears more than once`);
    seen.add(index);
  }
}

const lagrangeCache = new Map<string, readonly bigint[]>();
const LAGRANGE_CACHE_LIMIT = 64;
// Products of small differences are accumulated as plain integers and reduced only when they grow past this.
const REDUCE_ABOVE = 1n << 512n;

/**
 * Lagrange coefficients at 0 for distinct 1-based indices: λ_i = Π_{j≠i} x_j / (x_j − x_i).
 * Written as λ_i = N / (x_i · Π_{j≠i}(x_j − x_i)) with N = Π x_j, so the t denominators need one batched
 * inversion (Montgomery's trick) instead of t; the differences are small integers, so their products are
 * accumulated without a modular reduction per step. Memoised per index set (responder sets repeat).
 */
export function lagrangeAtZero(indices: readonly number[]): readonly bigint[] {
  assertDistinctIndices(indices);
  const key = indices.join(",");
  const cached = lagrangeCache.get(key);
  if (cached !== undefined) return cached;
  const xs = indices.map(BigInt);
  const numerator = reducedProduct(xs);
  const denominators = xs.map((xi, i) => {
    const diffs = xs.filter((_, j) => j !== i).map((xj) => xj - xi);
    return Fr.create(xi * reducedProduct(diffs));
  });
  const inverses = FpInvertBatch(Fr, denominators, true);
  const result = inverses.map((inv) => Fr.mul(numerator, inv));
  if (lagrangeCache.size >= LAGRANGE_CACHE_LIMIT) {
    const oldest = lagrangeCache.keys().next().value;
    if (oldest !== undefined) lagrangeCache.delete(oldest);
  }
  lagrangeCache.set(key, result);
  return result;
}

function reducedProduct(factors: readonly bigint[]): bigint {
  let acc = 1n;
  for (const f of factors) {
    acc *= f;
    if (acc > REDUCE_ABOVE || -acc > REDUCE_ABOVE) acc = Fr.create(acc);
  }
  return Fr.create(acc);
}
