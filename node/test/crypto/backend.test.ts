// SPDX-License-Identifier: Apache-2.0
// The mcl-wasm backend against the noble core, bit for bit: same signatures, same recovered group signatures,
// each verifies the other's output, the same drand quicknet beacons verify, and the same inputs are refused.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, describe, it } from "node:test";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import fc from "fast-check";
import { BACKEND_NAMES, createMclBackend, loadBackend, nobleBackend, type SchemeBackend } from "../../src/crypto/backend/index.js";
import { CryptoError, generateSecretKey, partialSign, publicKeyOf } from "../../src/crypto/index.js";
import { allPartials, nonSubgroupG1, sharing, utf8 } from "./fixtures.js";

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
