// SPDX-License-Identifier: Apache-2.0
// Sealing of DKG deal shares to their recipient: X25519 of the run's sealing keys → HKDF-SHA256 → ChaCha20-Poly1305.
// Round trip, and every way a sealed share can be wrong refuses with a SealError that names no secret.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bytesToHex } from "@noble/hashes/utils.js";
import { openShare, SEAL_DOMAIN, SEALED_SHARE_BYTES, SealError, sealShare, type SealErrorCode, type ShareSealContext } from "../../src/dkg/sealing.js";
import { RunSealingKeys } from "../../src/dkg/sealing-keys.js";

const DEALER_NODE = 4;
const RECIPIENT_NODE = 7;
const [dealer, recipient, other] = [new RunSealingKeys(), new RunSealingKeys(), new RunSealingKeys()];
dealer.announce(RECIPIENT_NODE, recipient.publicKey, 1n);
recipient.announce(DEALER_NODE, dealer.publicKey, 1n);
other.announce(DEALER_NODE, dealer.publicKey, 1n);
other.announce(RECIPIENT_NODE, recipient.publicKey, 1n);

const share = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const context: ShareSealContext = {
  subnet: "sealing",
  epoch: 3n,
  group: 1,
  dealerNode: DEALER_NODE,
  recipientNode: RECIPIENT_NODE,
  from: 2,
  to: 5,
  commitments: [new Uint8Array(96).fill(1), new Uint8Array(96).fill(2)],
};
const dealerSide = dealer.agreement(RECIPIENT_NODE);
const recipientSide = recipient.agreement(DEALER_NODE);

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
    assert.notDeepEqual(other.agreement(DEALER_NODE), dealerSide);
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
    assert.throws(() => openShare(other.agreement(DEALER_NODE), context, sealed), refusal("unauthenticated"));
    assert.throws(() => openShare(other.agreement(RECIPIENT_NODE), context, sealed), refusal("unauthenticated"));
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
    assert.equal(SEAL_DOMAIN, "relaylab/dkg-share/v2");
  });
});

describe("a run's sealing keys", () => {
  it("refuses announced keys of the wrong size, and low-order keys when agreeing, without echoing them", () => {
    const keys = new RunSealingKeys();
    assert.equal(keys.announce(1, new Uint8Array(31), 1n), "invalid");
    assert.equal(keys.has(1), false);
    const lowOrder = new Uint8Array(32); // the identity point: X25519 output would be all zero
    assert.equal(keys.announce(2, lowOrder, 1n), "new");
    assert.throws(
      () => keys.agreement(2),
      (error: unknown) => error instanceof Error && /low order/.test(error.message) && !error.message.includes(bytesToHex(lowOrder)),
    );
  });

  it("a later generation replaces the key and gives another agreement; a stale or replayed announcement changes nothing", () => {
    const keys = new RunSealingKeys();
    const first = new RunSealingKeys();
    const restarted = new RunSealingKeys();
    assert.equal(keys.announce(3, first.publicKey, 100n), "new");
    assert.equal(keys.announce(3, first.publicKey, 100n), "stale", "a retransmitted copy");
    const before = Uint8Array.from(keys.agreement(3));
    assert.equal(keys.announce(3, restarted.publicKey, 200n), "changed");
    assert.notDeepEqual(keys.agreement(3), before);
    restarted.announce(0, keys.publicKey, 1n);
    assert.deepEqual(keys.agreement(3), restarted.agreement(0), "the new agreement is the one the restarted member computes");
    // The adversary: the pre-restart announcement, delayed or replayed by another member, must not undo the restart.
    assert.equal(keys.announce(3, first.publicKey, 100n), "stale");
    assert.equal(keys.announce(3, new RunSealingKeys().publicKey, 200n), "stale", "a second key of the same generation");
    assert.deepEqual(keys.keyOf(3), restarted.publicKey);
  });

  it("erasing zeroes the secret and every agreement, and nothing can be opened or sealed after", () => {
    const secret = new Uint8Array(32).fill(7);
    const keys = new RunSealingKeys(secret);
    const peer = new RunSealingKeys();
    keys.announce(1, peer.publicKey, 1n);
    const agreement = keys.agreement(1);
    keys.erase();
    assert.ok(secret.every((b) => b === 0), "the secret key is not zeroed");
    assert.ok(agreement.every((b) => b === 0), "an agreement is not zeroed");
    assert.throws(() => keys.agreement(1), /erased/);
  });
});
