// SPDX-License-Identifier: Apache-2.0
// Known answers: real drand beacons (quicknet and another bls-unchained-g1-rfc9380 chain) verify under our scheme,
// beacons of drand's wrong-DST scheme do not, and signatures interoperate with noble's IETF-BLS implementation.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { generateSecretKey, publicKeyOf, sign, SIGNATURE_DST, verify } from "../../src/crypto/index.js";

interface Beacon {
  round: number;
  randomness?: string;
  signature: string;
  publicKey?: string;
}
interface Quicknet {
  chain: { publicKey: string; schemeID: string };
  beacons: Beacon[];
}
interface OtherG1 {
  rfc9380: { publicKey: string; beacons: Beacon[] };
  wrongDst: { dst: string; beacons: Beacon[] };
}

const vector = (name: string): unknown => JSON.parse(readFileSync(new URL(`../vectors/${name}`, import.meta.url), "utf8"));
const quicknet = vector("drand-quicknet.json") as Quicknet;
const other = vector("drand-g1-other.json") as OtherG1;

/** drand's unchained beacon message: sha256 of the round as 8 big-endian bytes. */
function roundMessage(round: number): Uint8Array {
  const be = new Uint8Array(8);
  new DataView(be.buffer).setBigUint64(0, BigInt(round));
  return sha256(be);
}

describe("scheme constants", () => {
  it("pins quicknet's DST (RFC 9380 suite BLS12381G1_XMD:SHA-256_SSWU_RO_, basic scheme)", () => {
    assert.equal(SIGNATURE_DST, "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_");
    assert.equal(quicknet.chain.schemeID, "bls-unchained-g1-rfc9380");
  });
});

describe("drand quicknet beacons", () => {
  const publicKey = hexToBytes(quicknet.chain.publicKey);
  for (const beacon of quicknet.beacons) {
    it(`round ${beacon.round} verifies and its randomness is sha256(signature)`, () => {
      const signature = hexToBytes(beacon.signature);
      assert.equal(verify(publicKey, roundMessage(beacon.round), signature), true);
      assert.equal(bytesToHex(sha256(signature)), beacon.randomness);
    });
  }

  it("a beacon does not verify for another round", () => {
    const [first, second] = quicknet.beacons;
    assert.ok(first && second);
    assert.equal(verify(publicKey, roundMessage(second.round), hexToBytes(first.signature)), false);
  });
});

describe("other drand G1 chains", () => {
  it("another bls-unchained-g1-rfc9380 chain verifies", () => {
    for (const beacon of other.rfc9380.beacons) {
      assert.equal(verify(hexToBytes(other.rfc9380.publicKey), roundMessage(beacon.round), hexToBytes(beacon.signature)), true);
    }
  });

  it("bls-unchained-on-g1 beacons (G2 DST on G1) verify only under their own DST, not ours", () => {
    const short = bls12_381.shortSignatures;
    for (const beacon of other.wrongDst.beacons) {
      assert.ok(beacon.publicKey);
      const publicKey = hexToBytes(beacon.publicKey);
      const signature = hexToBytes(beacon.signature);
      const message = roundMessage(beacon.round);
      assert.equal(verify(publicKey, message, signature), false);
      assert.equal(short.verify(signature, short.hash(message, other.wrongDst.dst), publicKey), true);
    }
  });
});

describe("interoperability with noble's IETF-BLS (min-signature-size) implementation", () => {
  const short = bls12_381.shortSignatures;
  const message = new TextEncoder().encode("relaylab interop");

  it("our signature verifies with noble shortSignatures under the default G1 DST", () => {
    const secret = generateSecretKey();
    const signature = sign(secret, message);
    assert.equal(short.verify(signature, short.hash(message), publicKeyOf(secret)), true);
  });

  it("noble's signature and public key verify here, byte-for-byte equal to ours", () => {
    const { secretKey, publicKey } = short.keygen();
    const nobleSignature = short.Signature.toBytes(short.sign(short.hash(message), secretKey));
    const secret = BigInt(`0x${bytesToHex(secretKey)}`);
    assert.equal(verify(publicKey.toBytes(), message, nobleSignature), true);
    assert.deepEqual(sign(secret, message), nobleSignature);
    assert.deepEqual(publicKeyOf(secret), publicKey.toBytes());
  });
});
