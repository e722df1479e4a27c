// SPDX-License-Identifier: Apache-2.0
/**
 * The G2 arithmetic of Feldman commitments, which is all the point work of a DKG: commit to a polynomial, check a
 * share against a dealer's commitments, sum the qualified dealers' commitments and derive every member's public
 * key share. A backend provides it over its own point type behind the opaque {@link CommitmentPoint}, so the DKG
 * state machine (dkg.ts) reaches the same verdicts and bytes on noble and on mcl-wasm, which does the G2
 * operations about four times faster (node/docs/performance.md, section 10).
 */
import { decodeG2OnCurve, encodeG2 } from "./points.js";
import { commitPolynomial, evaluateCommitments, verifyShare, type Polynomial } from "./poly.js";
import { G2, type G2Point } from "./scheme.js";

declare const opaque: unique symbol;

/** A G2 point of one backend; only that backend's {@link CommitmentGroup} can use it. */
export interface CommitmentPoint {
  readonly [opaque]: "CommitmentPoint";
}

export interface CommitmentGroup {
  /** The identity of G2. */
  readonly zero: CommitmentPoint;
  /** Feldman commitments A_j = a_j·G2 to the polynomial's coefficients. */
  commit(polynomial: Polynomial): CommitmentPoint[];
  /**
   * A compressed G2 point that is canonical, on the curve and not the identity; subgroup membership is left to
   * {@link inSubgroup}, which the DKG checks once on the sum. Throws CryptoError("malformed_point") otherwise.
   */
  decodeOnCurve(bytes: Uint8Array, what: string): CommitmentPoint;
  /** The 96-byte compressed encoding. */
  encode(point: CommitmentPoint): Uint8Array;
  add(a: CommitmentPoint, b: CommitmentPoint): CommitmentPoint;
  inSubgroup(point: CommitmentPoint): boolean;
  /** Σ_j commitments[j]·index^j: member `index`'s public key share under these commitments. */
  evaluate(commitments: readonly CommitmentPoint[], index: number): CommitmentPoint;
  /** Feldman check: is `share` (in [1, r)) f(index) for the polynomial the commitments commit to? */
  verifyShare(commitments: readonly CommitmentPoint[], index: number, share: bigint): boolean;
}

const opaquePoint = (p: G2Point): CommitmentPoint => p as unknown as CommitmentPoint;
const noblePoint = (p: CommitmentPoint): G2Point => p as unknown as G2Point;
const noblePoints = (ps: readonly CommitmentPoint[]): G2Point[] => ps.map(noblePoint);

/** The noble core's commitment arithmetic (poly.ts and points.ts). */
export const NOBLE_COMMITMENTS: CommitmentGroup = {
  zero: opaquePoint(G2.ZERO),
  commit: (polynomial) => commitPolynomial(polynomial).map(opaquePoint),
  decodeOnCurve: (bytes, what) => opaquePoint(decodeG2OnCurve(bytes, what)),
  encode: (point) => encodeG2(noblePoint(point)),
  add: (a, b) => opaquePoint(noblePoint(a).add(noblePoint(b))),
  inSubgroup: (point) => noblePoint(point).isTorsionFree(),
  evaluate: (commitments, index) => opaquePoint(evaluateCommitments(noblePoints(commitments), index)),
  verifyShare: (commitments, index, share) => verifyShare(noblePoints(commitments), index, share),
};
