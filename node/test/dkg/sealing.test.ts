// SPDX-License-Identifier: Apache-2.0
// Sealing of DKG deal shares to their recipient: X25519 of identity keys → HKDF-SHA256 → ChaCha20-Poly1305.
// Round trip, and every way a sealed share can be wrong refuses with a SealError that names no secret.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { openShare, SEAL_DOMAIN, SEALED_SHARE_BYTES, SealError, sealShare, type SealErrorCode, type ShareSealContext } from "../../src/dkg/sealing.js";
import { identityAgreement } from "../../src/identity/agreement.js";
import { generateIdentity } from "../../src/identity/index.js";

const [dealer, recipient, other] = Array.from({ length: 3 }, () => {
  const { secretKey, publicKey } = generateIdentity();
  return { secret: hexToBytes(secretKey), public: hexToBytes(publicKey) };
}) as [Keys, Keys, Keys];
interface Keys {
  secret: Uint8Array;
  public: Uint8Array;
}

const share = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const context: ShareSealContext = {
  subnet: "sealing",
  epoch: 3n,
  group: 1,
  dealerNode: 4,
  recipientNode: 7,
  from: 2,
  to: 5,
  commitments: [new Uint8Array(96).fill(1), new Uint8Array(96).fill(2)],
};
const dealerSide = identityAgreement(dealer.secret, recipient.public);
const recipientSide = identityAgreement(recipient.secret, dealer.public);

/** Matches a SealError with `code` whose message leaks neither the share nor the agreement. */
function refusal(code: SealErrorCode): (error: unknown) => boolean {
  return (error) =>
    error instanceof SealError &&
    error.code === code &&
    !error.message.includes(bytesToHex(share)) &&
    !error.message.includes(bytesToHex(dealerSide)) &&
    !error.message.includes(String(share));
}

describe("sealing a DKG share", () => {
  it("the pairwise agreement is the same from both sides and differs per pair", () => {
    assert.deepEqual(dealerSide, recipientSide);
    assert.notDeepEqual(identityAgreement(other.secret, dealer.public), dealerSide);
  });

  it("round-trips and is 60 bytes: nonce, ciphertext, tag", () => {
    const sealed = sealShare(dealerSide, context, share);
    assert.equal(sealed.length, SEALED_SHARE_BYTES);
    assert.equal(SEALED_SHARE_BYTES, 60);
    assert.deepEqual(openShare(recipientSide, context, sealed), share);
    assert.ok(!bytesToHex(sealed).includes(bytesToHex(share)), "sealed bytes contain the share");
  });

  it("uses a fresh nonce per seal", () => {
    const a = sealShare(dealerSide, context, share);
    const b = sealShare(dealerSide, context, share);
    assert.notDeepEqual(a, b);
    assert.deepEqual(openShare(recipientSide, context, b), share);
  });

  it("refuses any flipped bit in the nonce, the ciphertext or the tag", () => {
    const sealed = sealShare(dealerSide, context, share);
    for (let byte = 0; byte < sealed.length; byte++) {
      const tampered = Uint8Array.from(sealed);
      tampered[byte] = (tampered[byte] ?? 0) ^ 0x01;
      assert.throws(() => openShare(recipientSide, context, tampered), refusal("unauthenticated"), `byte ${byte}`);
    }
  });

  it("refuses to open for anyone but the recipient", () => {
    const sealed = sealShare(dealerSide, context, share);
    assert.throws(() => openShare(identityAgreement(other.secret, dealer.public), context, sealed), refusal("unauthenticated"));
    assert.throws(() => openShare(identityAgreement(other.secret, recipient.public), context, sealed), refusal("unauthenticated"));
  });

  it("refuses a sealed share moved to another deal, run or direction", () => {
    const sealed = sealShare(dealerSide, context, share);
    const moved: [string, ShareSealContext][] = [
      ["other commitments", { ...context, commitments: [context.commitments[1]!, context.commitments[0]!] }],
      ["one commitment fewer", { ...context, commitments: context.commitments.slice(0, 1) }],
      ["other dealer member index", { ...context, from: 3 }],
      ["other recipient member index", { ...context, to: 4 }],
      ["other epoch", { ...context, epoch: 4n }],
      ["other group", { ...context, group: 0 }],
      ["other subnet", { ...context, subnet: "sealing2" }],
      ["reversed direction", { ...context, dealerNode: context.recipientNode, recipientNode: context.dealerNode }],
    ];
    for (const [what, elsewhere] of moved) assert.throws(() => openShare(recipientSide, elsewhere, sealed), refusal("unauthenticated"), what);
  });

  it("refuses sealed shares of the wrong length before any decryption", () => {
    const sealed = sealShare(dealerSide, context, share);
    for (const bytes of [new Uint8Array(0), sealed.subarray(0, 12), sealed.subarray(0, 59), new Uint8Array([...sealed, 0])]) {
      assert.throws(() => openShare(recipientSide, context, bytes), refusal("malformed_sealed_share"), `${bytes.length} bytes`);
    }
  });

  it("refuses to seal a share, nonce or agreement of the wrong size", () => {
    assert.throws(() => sealShare(dealerSide, context, share.subarray(1)), refusal("invalid_argument"));
    assert.throws(() => sealShare(dealerSide, context, share, new Uint8Array(8)), refusal("invalid_argument"));
    assert.throws(() => sealShare(dealerSide.subarray(1), context, share), refusal("invalid_argument"));
  });

  it("is pinned to its domain string", () => {
    assert.equal(SEAL_DOMAIN, "relaylab/dkg-share/v1");
  });
});

describe("identity agreement", () => {
  it("refuses peer keys that are not ed25519 points or have low order, without echoing them", () => {
    const notAPoint = new Uint8Array(32).fill(0xff);
    const orderTwo = hexToBytes(`ec${"ff".repeat(30)}7f`); // y = −1: the point (0, −1) of order 2
    for (const key of [notAPoint, orderTwo]) {
      assert.throws(
        () => identityAgreement(dealer.secret, key),
        (error: unknown) => error instanceof Error && /peer identity key/.test(error.message) && !error.message.includes(bytesToHex(key)),
      );
    }
  });
});
