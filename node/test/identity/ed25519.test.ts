// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ed25519 } from "@noble/curves/ed25519.js";
import { hexToBytes } from "@noble/hashes/utils.js";
import { publicKeyOf, randomSeed, signEd25519, verifyEd25519 } from "../../src/identity/ed25519.js";
import { generateIdentity, identityPublicKey, signWithIdentity, verifyIdentitySignature } from "../../src/identity/index.js";

describe("ed25519 on node:crypto", () => {
  it("matches RFC 8032's first test vector", () => {
    const seed = hexToBytes("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    const publicKey = publicKeyOf(seed);
    assert.equal(Buffer.from(publicKey).toString("hex"), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    const signature = signEd25519(seed, new Uint8Array());
    assert.equal(
      Buffer.from(signature).toString("hex"),
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    );
    assert.equal(verifyEd25519(publicKey, new Uint8Array(), signature), true);
  });

  it("gives noble's keys and signatures, and each verifies the other's", () => {
    for (let i = 0; i < 20; i++) {
      const seed = randomSeed();
      const message = randomSeed().subarray(0, i * 3);
      const publicKey = publicKeyOf(seed);
      assert.deepEqual(publicKey, ed25519.getPublicKey(seed));
      const signature = signEd25519(seed, message);
      assert.deepEqual(signature, ed25519.sign(message, seed));
      assert.equal(ed25519.verify(signature, message, publicKey), true);
      assert.equal(verifyEd25519(publicKey, message, ed25519.sign(message, seed)), true);
    }
  });

  it("refuses a tampered message, signature or key, and malformed input, without throwing", () => {
    const seed = randomSeed();
    const publicKey = publicKeyOf(seed);
    const message = new TextEncoder().encode("block 7");
    const signature = signEd25519(seed, message);
    const flip = (bytes: Uint8Array, at: number): Uint8Array => bytes.map((b, i) => (i === at ? b ^ 1 : b));
    assert.equal(verifyEd25519(publicKey, flip(message, 0), signature), false);
    assert.equal(verifyEd25519(publicKey, message, flip(signature, 5)), false);
    assert.equal(verifyEd25519(publicKey, message, flip(signature, 40)), false);
    assert.equal(verifyEd25519(publicKeyOf(randomSeed()), message, signature), false);
    assert.equal(verifyEd25519(publicKey.subarray(0, 31), message, signature), false);
    assert.equal(verifyEd25519(publicKey, message, signature.subarray(0, 63)), false);
    assert.equal(verifyEd25519(new Uint8Array(32).fill(0xff), message, signature), false);
    // S ≥ L (the group order) is non-canonical: RFC 8032 verifiers reject it.
    const highS = Uint8Array.from(signature);
    highS.fill(0xff, 32);
    assert.equal(verifyEd25519(publicKey, message, highS), false);
    assert.throws(() => signEd25519(seed.subarray(0, 16), message), /32 bytes/);
  });

  it("binds identity signatures to their domain", () => {
    const id = generateIdentity();
    assert.equal(identityPublicKey(id.secretKey), id.publicKey);
    const secret = hexToBytes(id.secretKey);
    const publicKey = hexToBytes(id.publicKey);
    const message = Uint8Array.of(1, 2, 3);
    const signature = signWithIdentity(secret, "dkg/1", message);
    assert.equal(verifyIdentitySignature(publicKey, "dkg/1", message, signature), true);
    assert.equal(verifyIdentitySignature(publicKey, "dkg/2", message, signature), false);
  });
});
