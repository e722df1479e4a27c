// SPDX-License-Identifier: Apache-2.0
/**
 * Batch verification of partial signatures on one message with a random linear combination (Bellare, Garay,
 * Rabin 1998, "small exponents test"; the same check as blst's verifyMultipleAggregateSignatures): with random
 * 64-bit r_i, all σ_i are valid for PK_i (except with probability 2^-64) iff
 *   e(Σ r_i·σ_i, G2) = e(H(m), Σ r_i·PK_i),
 * two multi-scalar multiplications and two Miller loops instead of 2·n pairings. A failing batch is bisected to
 * locate the invalid signatures. Callers must pass subgroup-checked points: the pairing ignores torsion
 * components, so an on-curve-only point could pass here and still corrupt an interpolation.
 */
import { randomBytes } from "@noble/hashes/utils.js";
import { curve, G1, G2, type G1Point, type G2Point } from "./scheme.js";

/** One partial signature to check: its index, the decoded signature and the signer's public key share. */
export interface BatchItem {
  readonly index: number;
  readonly signature: G1Point;
  readonly publicKey: G2Point;
}

const RANDOMIZER_BITS = 64;
const G2_NEG = G2.BASE.negate();

/** e(σ, G2) == e(h, pk), via one two-pair multi-pairing with a shared final exponentiation. */
export function pairingCheck(signature: G1Point, hashed: G1Point, publicKey: G2Point): boolean {
  if (signature.is0() || publicKey.is0()) return signature.is0() && publicKey.is0();
  const gt = curve.pairingBatch([
    { g1: signature, g2: G2_NEG },
    { g1: hashed, g2: publicKey },
  ]);
  return curve.fields.Fp12.eql(gt, curve.fields.Fp12.ONE);
}

/** True when every item is (with probability ≥ 1 − 2^-64) a valid signature on `hashed`. */
export function batchVerify(items: readonly BatchItem[], hashed: G1Point): boolean {
  if (items.length === 0) return true;
  const [only] = items;
  if (items.length === 1 && only !== undefined) return pairingCheck(only.signature, hashed, only.publicKey);
  const randomizers = items.map(() => randomizer());
  const sigma = smallScalarMsm(G1, items.map((it) => it.signature), randomizers);
  const key = smallScalarMsm(G2, items.map((it) => it.publicKey), randomizers);
  return pairingCheck(sigma, hashed, key);
}

/**
 * Indices of the invalid items, found by bisection: a failing batch is split in halves; when the left half
 * passes, the right half is known to fail and is split without being checked again. k bad items among n cost
 * O(k·log n) batch checks.
 */
export function findInvalid(items: readonly BatchItem[], hashed: G1Point): number[] {
  return bisect(items, hashed, false);
}

function bisect(items: readonly BatchItem[], hashed: G1Point, knownToFail: boolean): number[] {
  if (items.length === 0) return [];
  if (!knownToFail && batchVerify(items, hashed)) return [];
  const [only] = items;
  if (items.length === 1 && only !== undefined) return [only.index];
  const mid = items.length >> 1;
  const left = bisect(items.slice(0, mid), hashed, false);
  const right = bisect(items.slice(mid), hashed, left.length === 0);
  return [...left, ...right];
}

function randomizer(): bigint {
  const bytes = randomBytes(RANDOMIZER_BITS / 8);
  let r = 0n;
  for (const b of bytes) r = (r << 8n) | BigInt(b);
  return r === 0n ? 1n : r;
}

interface GroupPoint<P> {
  add(other: P): P;
  double(): P;
}

/**
 * Pippenger bucket MSM for scalars below 2^64. noble's pippenger always walks all 255 scalar bits (adding every
 * point into bucket 0 in the empty windows); with 64-bit randomizers that is 4× the work.
 */
function smallScalarMsm<P extends GroupPoint<P>>(group: { ZERO: P }, points: readonly P[], scalars: readonly bigint[]): P {
  const window = points.length < 32 ? 3 : points.length < 256 ? 5 : 7;
  const mask = (1n << BigInt(window)) - 1n;
  let sum = group.ZERO;
  for (let shift = Math.ceil(RANDOMIZER_BITS / window) * window - window; shift >= 0; shift -= window) {
    for (let d = 0; d < window; d++) sum = sum.double();
    const buckets: P[] = new Array<P>(Number(mask) + 1).fill(group.ZERO);
    points.forEach((point, i) => {
      const digit = Number(((scalars[i] ?? 0n) >> BigInt(shift)) & mask);
      if (digit !== 0) buckets[digit] = (buckets[digit] ?? group.ZERO).add(point);
    });
    let running = group.ZERO;
    let windowSum = group.ZERO;
    for (let digit = buckets.length - 1; digit > 0; digit--) {
      running = running.add(buckets[digit] ?? group.ZERO);
      windowSum = windowSum.add(running);
    }
    sum = sum.add(windowSum);
  }
  return sum;
}
