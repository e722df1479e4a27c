// SPDX-License-Identifier: Apache-2.0
// The mcl-wasm backend against the noble core, bit for bit: same signatures, same recovered group signatures,
// each verifies the other's output, the same drand quicknet beacons verify, and the same inputs are refused.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, describe, it } from "node:test";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import fc from "fast-check";
import { BACKEND_NAMES, createMclBackend, isBackendName, loadBackend, loadRoundCrypto, NOBLE_ROUND_CRYPTO, nobleBackend, type RoundCrypto, type SchemeBackend } from "../../src/crypto/backend/index.js";
import { CryptoError, generateSecretKey, partialSign, publicKeyOf, type PartialSignature, type RecoverVerifiedInput } from "../../src/crypto/index.js";
import { Fr } from "../../src/crypto/scheme.js";
import { allPartials, encodeG2Unchecked, keyShareLookup, nonSubgroupG1, order13G2, sharing, utf8 } from "./fixtures.js";

interface Quicknet {
  chain: { publicKey: string };
  beacons: { round: number; signature: string }[];
}
const quicknet = JSON.parse(readFileSync(new URL("../vectors/drand-quicknet.json", import.meta.url), "utf8")) as Quicknet;

function roundMessage(round: number): Uint8Array {
  const be = new Uint8Array(8);
  new DataView(be.buffer).setBigUint64(0, BigInt(round));
  return sha256(be);
}

const isMalformed = (err: unknown): boolean => err instanceof CryptoError && err.code === "malformed_point";

let mcl: SchemeBackend;
before(async () => {
  mcl = await createMclBackend();
});

describe("backend selection", () => {
  it("loads every named backend under its name, mcl-wasm once", async () => {
    for (const name of BACKEND_NAMES) assert.equal((await loadBackend(name)).name, name);
    assert.equal(await loadBackend("mcl-wasm"), mcl);
  });

  it("loads round crypto under the backend's name; noble's is the core itself", async () => {
    for (const name of BACKEND_NAMES) assert.equal((await loadRoundCrypto(name)).backend, name);
    assert.equal(await loadRoundCrypto("noble"), NOBLE_ROUND_CRYPTO);
  });

  it("knows the backend names and nothing else", () => {
    for (const name of BACKEND_NAMES) assert.equal(isBackendName(name), true);
    for (const other of ["", "NOBLE", "mcl", "blst", "noble "]) assert.equal(isBackendName(other), false, other);
  });
});

describe("round crypto on mcl-wasm gives the noble core's results", () => {
  let round: RoundCrypto;
  before(async () => {
    round = await loadRoundCrypto("mcl-wasm");
  });
  const shares = sharing(3, 5);
  const message = utf8("height 4");
  const input = (partials: readonly PartialSignature[]): RecoverVerifiedInput => ({ groupPublicKey: shares.groupPublicKey, message, partials, threshold: 3, publicKeyShare: keyShareLookup(shares) });
  const codeOf = (run: () => unknown): string => {
    try {
      run();
    } catch (err) {
      if (err instanceof CryptoError) return err.code;
      throw err;
    }
    return "none";
  };

  it("same partial signatures and verify results", () => {
    for (const share of shares.secretShares) assert.deepEqual(round.partialSign(share, message), NOBLE_ROUND_CRYPTO.partialSign(share, message));
    const [a] = allPartials(shares, message);
    assert.ok(a);
    const key = shares.publicKeyShares[0] ?? new Uint8Array();
    assert.equal(round.verify(key, message, a.signature), true);
    assert.equal(round.verify(key, utf8("other"), a.signature), false);
    assert.equal(codeOf(() => round.partialSign({ index: 0, secret: 1n }, message)), codeOf(() => NOBLE_ROUND_CRYPTO.partialSign({ index: 0, secret: 1n }, message)));
  });

  it("recoverVerified: same signature and the same invalid partials, whether the fast path holds or not", () => {
    const [a, b, c, d, e] = allPartials(shares, message);
    assert.ok(a && b && c && d && e);
    const forged = partialSign({ index: b.index, secret: 7n }, message);
    const garbage = { index: c.index, signature: nonSubgroupG1() };
    for (const partials of [[a, b, c], [e, d, c, b], [a, forged, c, d], [garbage, forged, a, d, e]]) {
      assert.deepEqual(round.recoverVerified(input(partials)), NOBLE_ROUND_CRYPTO.recoverVerified(input(partials)));
    }
  });

  it("recoverVerified refuses the same inputs with the same codes", () => {
    const [a, b, c, d] = allPartials(shares, message);
    assert.ok(a && b && c && d);
    const forged = partialSign({ index: b.index, secret: 7n }, message);
    const cases: PartialSignature[][] = [[a, b], [a, b, c, a], [a, forged, { index: c.index, signature: nonSubgroupG1() }, d]];
    for (const partials of cases) {
      const expected = codeOf(() => NOBLE_ROUND_CRYPTO.recoverVerified(input(partials)));
      assert.notEqual(expected, "none");
      assert.equal(codeOf(() => round.recoverVerified(input(partials))), expected, `partials ${partials.map((p) => p.index).join(",")}`);
    }
    const badKey = { ...input([a, b, c]), groupPublicKey: shares.groupPublicKey.subarray(1) };
    assert.equal(codeOf(() => round.recoverVerified(badKey)), codeOf(() => NOBLE_ROUND_CRYPTO.recoverVerified(badKey)));
  });
});

describe("mcl-wasm signs and recovers exactly as noble", () => {
  it("same signature bytes for random secrets and messages", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 2n ** 254n }), fc.uint8Array({ maxLength: 64 }), (secret, message) => {
        assert.equal(bytesToHex(mcl.sign(secret, message)), bytesToHex(nobleBackend.sign(secret, message)));
      }),
      { numRuns: 20 },
    );
  });

  it("same group signature from any t-subset, and it verifies under both", () => {
    const shares = sharing(5, 9);
    const message = utf8("round 7");
    const partials = allPartials(shares, message);
    fc.assert(
      fc.property(fc.shuffledSubarray(partials, { minLength: 5, maxLength: 9 }), (subset) => {
        const fromMcl = mcl.recover(subset, 5);
        assert.equal(bytesToHex(fromMcl), bytesToHex(nobleBackend.recover(subset, 5)));
        assert.equal(mcl.verify(shares.groupPublicKey, message, fromMcl), true);
        assert.equal(nobleBackend.verify(shares.groupPublicKey, message, fromMcl), true);
      }),
      { numRuns: 10 },
    );
  });

  it("verifies noble signatures and rejects them for another message or key", () => {
    const secret = generateSecretKey();
    const publicKey = publicKeyOf(secret);
    const signature = nobleBackend.sign(secret, utf8("a"));
    assert.equal(mcl.verify(publicKey, utf8("a"), signature), true);
    assert.equal(mcl.verify(publicKey, utf8("b"), signature), false);
    assert.equal(mcl.verify(publicKeyOf(generateSecretKey()), utf8("a"), signature), false);
  });

  it("verifies real drand quicknet beacons (RFC 9380 hash-to-G1 under the pinned DST)", () => {
    const publicKey = hexToBytes(quicknet.chain.publicKey);
    assert.ok(quicknet.beacons.length > 0);
    for (const beacon of quicknet.beacons) assert.equal(mcl.verify(publicKey, roundMessage(beacon.round), hexToBytes(beacon.signature)), true, `round ${beacon.round}`);
  });
});

describe("mcl-wasm refuses what noble refuses", () => {
  const secret = generateSecretKey();
  const publicKey = publicKeyOf(secret);
  const signature = nobleBackend.sign(secret, utf8("m"));
  const infinityG1 = new Uint8Array(48);
  infinityG1[0] = 0xc0;
  const uncompressed = Uint8Array.from(signature);
  uncompressed[0] = (uncompressed[0] ?? 0) & 0x7f;
  const offCurve = Uint8Array.from(signature);
  offCurve[47] = (offCurve[47] ?? 0) ^ 1;
  const bad: [string, Uint8Array][] = [
    ["a short signature", signature.subarray(0, 47)],
    ["the point at infinity", infinityG1],
    ["an uncompressed flag", uncompressed],
    ["a point outside the G1 subgroup", nonSubgroupG1()],
    ["a non-canonical x (≥ p)", Uint8Array.from({ length: 48 }, (_, i) => (i === 0 ? 0x9f : 0xff))],
  ];
  for (const [what, bytes] of bad) {
    it(`verify throws malformed_point for ${what} (as noble does)`, () => {
      assert.throws(() => nobleBackend.verify(publicKey, utf8("m"), bytes), isMalformed);
      assert.throws(() => mcl.verify(publicKey, utf8("m"), bytes), isMalformed);
    });
  }

  it("treats a bit-flipped signature the same way as noble (refused or not verifying)", () => {
    const outcome = (backend: SchemeBackend): string => {
      try {
        return String(backend.verify(publicKey, utf8("m"), offCurve));
      } catch (err) {
        return isMalformed(err) ? "malformed" : "other error";
      }
    };
    assert.equal(outcome(mcl), outcome(nobleBackend));
  });

  it("throws malformed_point for a bad public key", () => {
    assert.throws(() => mcl.verify(publicKey.subarray(1), utf8("m"), signature), isMalformed);
  });

  it("recover refuses too few, duplicate and out-of-subgroup partials like noble", () => {
    const shares = sharing(3, 5);
    const partials = allPartials(shares, utf8("r"));
    const [a, b, c] = partials;
    assert.ok(a && b && c);
    const cases: PartialSet[] = [
      [[a, b], "not_enough_shares"],
      [[a, a, b], "duplicate_index"],
      [[a, b, { index: c.index, signature: nonSubgroupG1() }], "malformed_point"],
    ];
    for (const [set, code] of cases) {
      for (const backend of [nobleBackend, mcl]) {
        assert.throws(() => backend.recover(set, 3), (err: unknown) => err instanceof CryptoError && err.code === code, `${backend.name}: ${code}`);
      }
    }
  });

  it("a wrong partial gives the same wrong (non-verifying) group signature in both", () => {
    const shares = sharing(3, 5);
    const message = utf8("w");
    const [a, b, c] = allPartials(shares, message);
    assert.ok(a && b && c);
    const forged = partialSign({ index: c.index, secret: 7n }, message);
    const set = [a, b, forged];
    const fromMcl = mcl.recover(set, 3);
    assert.equal(bytesToHex(fromMcl), bytesToHex(nobleBackend.recover(set, 3)));
    assert.equal(mcl.verify(shares.groupPublicKey, message, fromMcl), false);
  });
});

type PartialSet = [Parameters<SchemeBackend["recover"]>[0], string];

describe("the DKG's commitment arithmetic on mcl-wasm gives noble's results", () => {
  const noble = nobleBackend.commitments;
  const polynomial = [generateSecretKey(), generateSecretKey(), generateSecretKey()];
  const encoded = noble.commit(polynomial).map((c) => noble.encode(c));

  it("commits to a polynomial with the same bytes, and evaluates the commitments to the same key shares", () => {
    const commitments = mcl.commitments.commit(polynomial);
    assert.deepEqual(commitments.map((c) => mcl.commitments.encode(c)), encoded);
    const decodedNoble = encoded.map((c, j) => noble.decodeOnCurve(c, `c${j}`));
    const decodedMcl = encoded.map((c, j) => mcl.commitments.decodeOnCurve(c, `c${j}`));
    for (const index of [1, 2, 7, 400, 0xffff]) {
      assert.deepEqual(mcl.commitments.encode(mcl.commitments.evaluate(decodedMcl, index)), noble.encode(noble.evaluate(decodedNoble, index)), `index ${index}`);
    }
    const sum = (group: typeof noble, points: readonly ReturnType<typeof noble.commit>[number][]): Uint8Array => group.encode(points.reduce((a, b) => group.add(a, b), group.zero));
    assert.deepEqual(sum(mcl.commitments, decodedMcl), sum(noble, decodedNoble));
    assert.deepEqual(mcl.commitments.encode(mcl.commitments.zero), noble.encode(noble.zero));
  });

  it("gives the same Feldman verdicts, out-of-range shares included", () => {
    const commitments = encoded.map((c, j) => mcl.commitments.decodeOnCurve(c, `c${j}`));
    const nobleCommitments = encoded.map((c, j) => noble.decodeOnCurve(c, `c${j}`));
    const f = (x: bigint): bigint => polynomial.reduceRight((acc, a) => (acc * x + a) % Fr.ORDER, 0n);
    const shares: [number, bigint][] = [
      [3, f(3n)],
      [3, f(4n)],
      [3, (f(3n) + 1n) % Fr.ORDER],
      [3, 0n],
      [3, f(3n) + Fr.ORDER],
      [3, -1n],
    ];
    for (const [index, share] of shares) {
      assert.equal(mcl.commitments.verifyShare(commitments, index, share), noble.verifyShare(nobleCommitments, index, share), `share ${share}`);
    }
    assert.equal(mcl.commitments.verifyShare(commitments, 3, f(3n)), true);
  });

  it("decodes on the curve only, leaving the subgroup to inSubgroup, and refuses what noble refuses", () => {
    const torsion = encodeG2Unchecked(order13G2());
    assert.equal(mcl.commitments.inSubgroup(mcl.commitments.decodeOnCurve(torsion, "t")), false);
    assert.equal(noble.inSubgroup(noble.decodeOnCurve(torsion, "t")), false);
    assert.equal(mcl.commitments.inSubgroup(mcl.commitments.decodeOnCurve(publicKey(), "k")), true);
    const [first] = encoded;
    assert.ok(first);
    const infinity = new Uint8Array(96);
    infinity[0] = 0xc0;
    const uncompressed = Uint8Array.from(first);
    uncompressed[0] = (uncompressed[0] ?? 0) & 0x7f;
    const bad: Uint8Array[] = [first.subarray(0, 95), infinity, uncompressed, Uint8Array.from({ length: 96 }, (_, i) => (i === 0 ? 0x9f : 0xff))];
    for (const bytes of bad) {
      assert.throws(() => noble.decodeOnCurve(bytes, "c"), isMalformed);
      assert.throws(() => mcl.commitments.decodeOnCurve(bytes, "c"), isMalformed);
    }
    // The subgroup check stays on for keys decoded afterwards.
    assert.throws(() => mcl.verify(torsion, utf8("m"), nobleBackend.sign(generateSecretKey(), utf8("m"))), isMalformed);
  });
});

function publicKey(): Uint8Array {
  return publicKeyOf(generateSecretKey());
}
