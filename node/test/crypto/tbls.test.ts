// SPDX-License-Identifier: Apache-2.0
// Threshold signatures: partial sign/verify, recovery from any t-subset, rejection of bad index sets, and the
// verified fast path with invalid partials. Property tests use small groups and few runs: BLS in noble costs
// ~2 ms per signature and ~20 ms per verification.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  CryptoError,
  partialSign,
  partialVerify,
  recoverSignature,
  recoverVerified,
  sign,
  verify,
  type PartialSignature,
} from "../../src/crypto/index.js";
import { allPartials, keyShareLookup, nonSubgroupG1, sharing, utf8 } from "./fixtures.js";

const T = 4;
const G = 7;
const group = sharing(T, G);
const message = utf8("round 42");
const partials = allPartials(group, message);
const expected = recoverSignature(partials, T);
const rejectsWith = (code: string) => (error: unknown) => error instanceof CryptoError && error.code === code;

/** A t-subset of 0..G-1 in random order. */
const subset = (size: number) => fc.shuffledSubarray([...partials.keys()], { minLength: size, maxLength: size });

describe("partial signatures", () => {
  it("a partial verifies against its own key share and not another member's", () => {
    const [p1] = partials;
    assert.ok(p1);
    assert.equal(partialVerify(group.publicKeyShares[0]!, message, p1), true);
    assert.equal(partialVerify(group.publicKeyShares[1]!, message, p1), false);
    assert.equal(partialVerify(group.publicKeyShares[0]!, utf8("other"), p1), false);
  });

  it("partialSign rejects an out-of-range index and a zero secret", () => {
    assert.throws(() => partialSign({ index: 0, secret: 5n }, message), rejectsWith("invalid_index"));
    assert.throws(() => partialSign({ index: 1, secret: 0n }, message), rejectsWith("malformed_scalar"));
  });
});

describe("recoverSignature", () => {
  it("the recovered signature verifies against the group key", () => {
    assert.equal(verify(group.groupPublicKey, message, expected), true);
  });

  it("any t-subset, in any order, recovers the same signature", () => {
    fc.assert(
      fc.property(subset(T), (positions) => {
        assert.deepEqual(recoverSignature(positions.map((i) => partials[i]!), T), expected);
      }),
      { numRuns: 25 },
    );
  });

  it("t-1 partials do not give a valid group signature", () => {
    fc.assert(
      fc.property(subset(T - 1), (positions) => {
        const chosen = positions.map((i) => partials[i]!);
        assert.throws(() => recoverSignature(chosen, T), rejectsWith("not_enough_shares"));
        // Interpolating them as if the threshold were t-1 gives a well-formed signature that does not verify.
        assert.equal(verify(group.groupPublicKey, message, recoverSignature(chosen, T - 1)), false);
      }),
      { numRuns: 8 },
    );
  });

  it("uses exactly the first t partials", () => {
    const garbage: PartialSignature = { index: 99, signature: new Uint8Array(48) };
    assert.deepEqual(recoverSignature([...partials.slice(0, T), garbage], T), expected);
  });

  it("rejects duplicate indices", () => {
    fc.assert(
      fc.property(subset(T), fc.nat({ max: T - 2 }), (positions, k) => {
        const chosen = positions.map((i) => partials[i]!);
        chosen[k + 1] = chosen[k]!;
        assert.throws(() => recoverSignature(chosen, T), rejectsWith("duplicate_index"));
      }),
      { numRuns: 20 },
    );
  });

  it("rejects out-of-range indices", () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 65536 }), fc.double({ min: 1.1, max: 9.9, noInteger: true })), (index) => {
        const chosen = partials.slice(0, T).map((p, i) => (i === 0 ? { ...p, index } : p));
        assert.throws(() => recoverSignature(chosen, T), rejectsWith("invalid_index"));
      }),
      { numRuns: 20 },
    );
  });

  it("rejects a bad threshold", () => {
    for (const threshold of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => recoverSignature(partials, threshold), rejectsWith("invalid_argument"));
    }
  });

  it("rejects a partial outside the G1 subgroup with CryptoError", () => {
    const chosen = [{ index: 1, signature: nonSubgroupG1() }, ...partials.slice(1, T)];
    assert.throws(() => recoverSignature(chosen, T), rejectsWith("malformed_point"));
  });
});

describe("recoverVerified", () => {
  const base = { groupPublicKey: group.groupPublicKey, message, threshold: T, publicKeyShare: keyShareLookup(group) };

  it("fast path: t valid partials give the signature with nothing invalid", () => {
    const result = recoverVerified({ ...base, partials: partials.slice(2, 2 + T) });
    assert.deepEqual(result, { signature: expected, invalid: [] });
  });

  it("never returns an invalid signature; reports the bad partials it examined", () => {
    const wrong = sign(group.secretShares[0]!.secret, utf8("another message"));
    const corruptions: ((position: number) => Uint8Array)[] = [
      () => wrong, // well-formed, wrong message
      () => nonSubgroupG1(), // on the curve, outside G1
      () => new Uint8Array(48).fill(0xff), // not a point
      (i) => partials[(i + 1) % G]!.signature, // another member's valid partial
    ];
    fc.assert(
      fc.property(
        fc.shuffledSubarray([...partials.keys()], { minLength: T, maxLength: G }),
        fc.array(fc.tuple(fc.nat({ max: G - 1 }), fc.nat({ max: corruptions.length - 1 })), { maxLength: 4 }),
        (order, faults) => {
          const bad = new Map(faults.filter(([pos]) => pos < order.length).map(([pos, kind]) => [order[pos]! + 1, kind]));
          const input = order.map((i) => {
            const kind = bad.get(i + 1);
            return kind === undefined ? partials[i]! : { index: i + 1, signature: corruptions[kind]!(i) };
          });
          const validCount = input.length - bad.size;
          if (validCount < T) {
            assert.throws(() => recoverVerified({ ...base, partials: input }), rejectsWith("not_enough_shares"));
            return;
          }
          const result = recoverVerified({ ...base, partials: input });
          assert.deepEqual(result.signature, expected);
          for (const index of result.invalid) assert.ok(bad.has(index), `member ${index} was reported but is valid`);
          // Whenever the fallback ran, it examined exactly the first t + |invalid| partials and caught every bad one.
          if (result.invalid.length > 0) {
            const examined = input.slice(0, T + result.invalid.length).filter((p) => bad.has(p.index));
            assert.deepEqual(result.invalid, examined.map((p) => p.index).sort((a, b) => a - b));
          }
        },
      ),
      { numRuns: 12 },
    );
  });

  it("rejects duplicate indices and too few partials", () => {
    assert.throws(() => recoverVerified({ ...base, partials: [partials[0]!, ...partials.slice(0, T)] }), rejectsWith("duplicate_index"));
    assert.throws(() => recoverVerified({ ...base, partials: partials.slice(0, T - 1) }), rejectsWith("not_enough_shares"));
  });

  it("refuses key shares that do not belong to the group key", () => {
    const other = sharing(T, G + 1);
    const input = [{ index: 1, signature: new Uint8Array(48).fill(0xff) }, ...partials.slice(1, T + 1)];
    assert.throws(
      () => recoverVerified({ ...base, groupPublicKey: other.groupPublicKey, partials: input }),
      rejectsWith("invalid_argument"),
    );
  });
});
