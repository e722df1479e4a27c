// SPDX-License-Identifier: Apache-2.0
// Malformed encodings are refused with CryptoError (never a library exception) by every public entry point.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { numberToBytesBE } from "@noble/curves/utils.js";
import { CryptoError, partialSign, partialVerify, publicKeyShare, recoverSignature, verify } from "../../src/crypto/index.js";
import { decodeG2OnCurve, decodePublicKey, decodeScalar, decodeSignature, encodeG1, encodeG2 } from "../../src/crypto/points.js";
import { allPartials, nonSubgroupG1, sharing, utf8 } from "./fixtures.js";

const group = sharing(2, 3);
const message = utf8("encodings");
const [partial] = allPartials(group, message);
const p = bls12_381.fields.Fp.ORDER;
const isCryptoError = (code?: string) => (error: unknown) => error instanceof CryptoError && (code === undefined || error.code === code);

/** Any byte string that is not a valid compressed point of the given size (lengths, flags or coordinates off). */
const notAPoint = (size: number) =>
  fc.oneof(
    fc.uint8Array({ maxLength: size + 2 }).filter((b) => b.length !== size),
    fc.uint8Array({ minLength: size, maxLength: size }).map((b) => Uint8Array.from(b, (x, i) => (i === 0 ? x & 0x7f : x))), // uncompressed flag
    fc.uint8Array({ minLength: size, maxLength: size }).map((b) => Uint8Array.from(b, (x, i) => (i === 0 ? x | 0xc0 : x))), // infinity flag
  );

describe("malformed signatures", () => {
  it("verify and partialVerify throw CryptoError(malformed_point) for non-points", () => {
    fc.assert(
      fc.property(notAPoint(48), (bytes) => {
        assert.throws(() => verify(group.groupPublicKey, message, bytes), isCryptoError("malformed_point"));
        assert.throws(() => partialVerify(group.publicKeyShares[0]!, message, { index: 1, signature: bytes }), isCryptoError("malformed_point"));
      }),
      { numRuns: 60 },
    );
  });

  it("random 48-byte strings are either rejected with CryptoError or are valid points", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 48, maxLength: 48 }), (bytes) => {
        try {
          verify(group.groupPublicKey, message, bytes);
        } catch (error) {
          assert.ok(error instanceof CryptoError, String(error));
        }
      }),
      { numRuns: 60 },
    );
  });

  it("rejects the point at infinity, a non-canonical x, and a point outside the G1 subgroup", () => {
    const infinity = new Uint8Array(48);
    infinity[0] = 0xc0;
    const nonCanonical = numberToBytesBE(p + 1n, 48);
    nonCanonical[0] = (nonCanonical[0] ?? 0) | 0x80;
    for (const bytes of [infinity, nonCanonical, nonSubgroupG1()]) {
      assert.throws(() => verify(group.groupPublicKey, message, bytes), isCryptoError("malformed_point"));
    }
  });

  it("recoverSignature rejects a non-point partial", () => {
    fc.assert(
      fc.property(notAPoint(48), (bytes) => {
        assert.throws(() => recoverSignature([partial!, { index: 2, signature: bytes }], 2), isCryptoError("malformed_point"));
      }),
      { numRuns: 40 },
    );
  });
});

describe("malformed public keys", () => {
  it("verify and publicKeyShare throw CryptoError(malformed_point) for non-points", () => {
    fc.assert(
      fc.property(notAPoint(96), (bytes) => {
        assert.throws(() => verify(bytes, message, partial!.signature), isCryptoError("malformed_point"));
        assert.throws(() => publicKeyShare([bytes], 1), isCryptoError("malformed_point"));
      }),
      { numRuns: 40 },
    );
  });

  it("random 96-byte strings with the compression flag are rejected with CryptoError or decode", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 96, maxLength: 96 }), (bytes) => {
        bytes[0] = ((bytes[0] ?? 0) | 0x80) & 0xbf;
        try {
          publicKeyShare([bytes], 1);
        } catch (error) {
          assert.ok(error instanceof CryptoError, String(error));
        }
      }),
      { numRuns: 30 },
    );
  });

  it("rejects a G1 point where a G2 key is expected and vice versa", () => {
    assert.throws(() => verify(partial!.signature, message, partial!.signature), isCryptoError("malformed_point"));
    assert.throws(() => verify(group.groupPublicKey, message, group.groupPublicKey), isCryptoError("malformed_point"));
  });

  it("publicKeyShare rejects empty commitments and bad indices", () => {
    assert.throws(() => publicKeyShare([], 1), isCryptoError("invalid_argument"));
    assert.throws(() => publicKeyShare(group.commitments, 0), isCryptoError("invalid_index"));
  });
});

describe("scalars", () => {
  it("decodeScalar accepts exactly 32-byte big-endian values below r", () => {
    const r = bls12_381.fields.Fr.ORDER;
    assert.equal(decodeScalar(numberToBytesBE(r - 1n, 32)), r - 1n);
    for (const bytes of [numberToBytesBE(r, 32), new Uint8Array(31), new Uint8Array(33)]) {
      assert.throws(() => decodeScalar(bytes), isCryptoError("malformed_scalar"));
    }
  });
});

describe("encoders", () => {
  it("match noble's compressed encodings and round-trip through the strict and on-curve decoders", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: bls12_381.fields.Fr.ORDER - 1n }), (k) => {
        const g1 = bls12_381.G1.Point.BASE.multiply(k);
        const g2 = bls12_381.G2.Point.BASE.multiply(k);
        assert.deepEqual(encodeG1(g1), g1.toBytes());
        assert.deepEqual(encodeG2(g2), g2.toBytes());
        assert.ok(decodeSignature(encodeG1(g1)).equals(g1));
        assert.ok(decodeG2OnCurve(encodeG2(g2)).equals(g2));
        assert.ok(decodePublicKey(encodeG2(g2)).equals(g2));
      }),
      { numRuns: 15 },
    );
  });

  it("encode the identity with the infinity flag", () => {
    assert.deepEqual(encodeG1(bls12_381.G1.Point.ZERO), bls12_381.G1.Point.ZERO.toBytes());
    assert.deepEqual(encodeG2(bls12_381.G2.Point.ZERO), bls12_381.G2.Point.ZERO.toBytes());
  });
});

describe("errors", () => {
  it("a refused secret is not echoed in the message", () => {
    const secret = bls12_381.fields.Fr.ORDER + 123456789n;
    assert.throws(
      () => partialSign({ index: 1, secret }, message),
      (error: unknown) => error instanceof CryptoError && error.code === "malformed_scalar" && !error.message.includes(String(secret)),
    );
  });
});
