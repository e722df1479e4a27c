// SPDX-License-Identifier: Apache-2.0
// Shamir/Feldman and Lagrange interpolation over Fr, checked against direct definitions.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  commitPolynomial,
  evaluateCommitments,
  evaluatePolynomial,
  lagrangeAtZero,
  randomPolynomial,
  verifyShare,
} from "../../src/crypto/poly.js";
import { Fr, G2 } from "../../src/crypto/scheme.js";
import { CryptoError, dealShares, publicKeyOf, publicKeyShare } from "../../src/crypto/index.js";

describe("Lagrange interpolation at 0", () => {
  it("Σ λ_i·f(x_i) = f(0) for any distinct index set of size deg+1", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { minLength: 1, maxLength: 40 }), (indices) => {
        const poly = randomPolynomial(indices.length);
        const lambdas = lagrangeAtZero(indices);
        const sum = indices.reduce((acc, x, i) => Fr.add(acc, Fr.mul(lambdas[i]!, evaluatePolynomial(poly, BigInt(x)))), 0n);
        assert.equal(sum, poly[0]);
      }),
      { numRuns: 50 },
    );
  });

  it("matches the textbook product formula", () => {
    const indices = [3, 1, 7, 400];
    const lambdas = lagrangeAtZero(indices);
    indices.forEach((xi, i) => {
      let expected = 1n;
      for (const xj of indices) if (xj !== xi) expected = Fr.mul(expected, Fr.div(BigInt(xj), Fr.sub(BigInt(xj), BigInt(xi))));
      assert.equal(lambdas[i], expected);
    });
  });

  it("rejects duplicate and out-of-range indices", () => {
    assert.throws(() => lagrangeAtZero([1, 2, 1]), (e: unknown) => e instanceof CryptoError && e.code === "duplicate_index");
    assert.throws(() => lagrangeAtZero([0, 2]), (e: unknown) => e instanceof CryptoError && e.code === "invalid_index");
  });
});

describe("Feldman commitments", () => {
  const poly = randomPolynomial(5);
  const commitments = commitPolynomial(poly);

  it("Σ A_j·i^j = f(i)·G2 and verifyShare accepts exactly f(i)", () => {
    for (const index of [1, 2, 9, 65535]) {
      const share = evaluatePolynomial(poly, BigInt(index));
      assert.ok(evaluateCommitments(commitments, index).equals(G2.BASE.multiply(share)));
      assert.equal(verifyShare(commitments, index, share), true);
      assert.equal(verifyShare(commitments, index, Fr.add(share, 1n)), false);
      assert.equal(verifyShare(commitments, index + (index === 65535 ? -1 : 1), share), false);
    }
  });

  it("dealShares: every public key share is its secret share's public key and derives from the commitments", () => {
    const dealt = dealShares(3, 5);
    assert.deepEqual(dealt.groupPublicKey, dealt.commitments[0]);
    dealt.secretShares.forEach((share, i) => {
      assert.equal(share.index, i + 1);
      assert.deepEqual(dealt.publicKeyShares[i], publicKeyOf(share.secret));
      assert.deepEqual(publicKeyShare(dealt.commitments, share.index), dealt.publicKeyShares[i]);
    });
  });

  it("dealShares rejects fewer members than the threshold", () => {
    assert.throws(() => dealShares(4, 3), (e: unknown) => e instanceof CryptoError && e.code === "invalid_argument");
  });
});
