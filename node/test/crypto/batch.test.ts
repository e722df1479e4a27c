// SPDX-License-Identifier: Apache-2.0
// Random-linear-combination batch verification and bisection find exactly the invalid partials.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { batchVerify, findInvalid, type BatchItem } from "../../src/crypto/batch.js";
import { decodePublicKey, decodeSignature } from "../../src/crypto/points.js";
import { hashToSignatureGroup } from "../../src/crypto/scheme.js";
import { sign, verifyPartialsBatch } from "../../src/crypto/index.js";
import { allPartials, keyShareLookup, sharing, utf8 } from "./fixtures.js";

const group = sharing(5, 12);
const message = utf8("batch");
const hashed = hashToSignatureGroup(message);
const partials = allPartials(group, message);
const items: BatchItem[] = partials.map((p) => ({
  index: p.index,
  signature: decodeSignature(p.signature),
  publicKey: decodePublicKey(group.publicKeyShares[p.index - 1]!),
}));
const forged = decodeSignature(sign(group.secretShares[0]!.secret, utf8("not the message")));

describe("batch verification", () => {
  it("accepts all-valid batches of any size", () => {
    assert.equal(batchVerify([], hashed), true);
    assert.equal(batchVerify(items.slice(0, 1), hashed), true);
    assert.equal(batchVerify(items, hashed), true);
    assert.equal(verifyPartialsBatch(message, partials, keyShareLookup(group)), true);
  });

  it("findInvalid returns exactly the corrupted indices", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat({ max: items.length - 1 }), { maxLength: 4 }), (badPositions) => {
        const batch = items.map((it, i) => (badPositions.includes(i) ? { ...it, signature: forged } : it));
        assert.equal(batchVerify(batch, hashed), badPositions.length === 0);
        assert.deepEqual(findInvalid(batch, hashed), badPositions.map((i) => i + 1).sort((a, b) => a - b));
      }),
      { numRuns: 8 },
    );
  });

  it("catches partials that cancel in a plain sum (σ1+δ, σ2−δ)", () => {
    const delta = forged;
    const batch = items.slice(0, 2).map((it, i) => ({ ...it, signature: i === 0 ? it.signature.add(delta) : it.signature.subtract(delta) }));
    assert.equal(batchVerify(batch, hashed), false);
    assert.deepEqual(findInvalid(batch, hashed), [1, 2]);
  });
});
