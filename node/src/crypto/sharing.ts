// SPDX-License-Identifier: Apache-2.0
/**
 * Byte-level Feldman sharing for the node: public key shares from a group's public polynomial, and a trusted
 * dealer (tests and benchmarks only; the node's keys come from the DKG in dkg.ts).
 */
import { decodePublicKey, encodeG2 } from "./points.js";
import { assertIndex, assertThreshold, commitPolynomial, evaluateCommitments, evaluatePolynomial, randomPolynomial } from "./poly.js";
import { G2 } from "./scheme.js";
import { CryptoError } from "./errors.js";
import type { SecretShare } from "./tbls.js";

/** Member `index`'s 96-byte public key share Σ_j A_j·index^j from the 96-byte commitments A_0..A_{t-1}. */
export function publicKeyShare(commitments: readonly Uint8Array[], index: number): Uint8Array {
  assertIndex(index);
  if (commitments.length === 0) throw new CryptoError("invalid_argument", "commitments must not be empty");
  const points = commitments.map((c, j) => decodePublicKey(c, `commitment ${j}`));
  return encodeG2(evaluateCommitments(points, index));
}

/** A complete (threshold, members) sharing of a fresh random group key. */
export interface DealtShares {
  groupPublicKey: Uint8Array;
  commitments: Uint8Array[];
  secretShares: SecretShare[];
  publicKeyShares: Uint8Array[];
}

/** Trusted dealer: shares a fresh random key among members 1..members with the given threshold. */
export function dealShares(threshold: number, members: number): DealtShares {
  assertThreshold(threshold);
  if (!Number.isSafeInteger(members) || members < threshold) {
    throw new CryptoError("invalid_argument", `members must be an integer >= threshold (${threshold}), got ${String(members)}`);
  }
  assertIndex(members);
  const poly = randomPolynomial(threshold);
  const commitmentPoints = commitPolynomial(poly);
  const secretShares = Array.from({ length: members }, (_, i) => ({ index: i + 1, secret: evaluatePolynomial(poly, BigInt(i + 1)) }));
  return {
    groupPublicKey: encodeG2(groupKeyOf(commitmentPoints)),
    commitments: commitmentPoints.map(encodeG2),
    secretShares,
    // The dealer knows every share, so f(i)·G2 from the fixed-base table is far cheaper than evaluating commitments.
    publicKeyShares: secretShares.map((share) => encodeG2(G2.BASE.multiply(share.secret))),
  };
}

function groupKeyOf<P>(commitments: readonly P[]): P {
  const [first] = commitments;
  if (first === undefined) throw new CryptoError("invalid_argument", "a sharing needs at least one commitment");
  return first;
}
