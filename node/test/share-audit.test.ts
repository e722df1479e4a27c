// SPDX-License-Identifier: Apache-2.0
// The bounds of the late-share check (beacon/share-audit.ts): what it takes, what it refuses, and that a flooding
// member cannot make it verify more than one share per round.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AUDIT_PER_ROUND, AUDIT_ROUNDS, ShareAudit } from "../src/beacon/share-audit.js";

const sig = (byte: number): Uint8Array => new Uint8Array(48).fill(byte);
const late = (round: bigint, index: number, byte = index) => ({ round, index, signature: sig(byte), late: true });

describe("ShareAudit", () => {
  test("takes one share per member and round, first come, up to the per-round cap", () => {
    const audit = new ShareAudit();
    for (let i = 1; i <= AUDIT_PER_ROUND + 3; i++) assert.equal(audit.add(10n, late(10n, i)), i <= AUDIT_PER_ROUND, `member ${i}`);
    assert.equal(audit.add(10n, late(10n, 1)), false, "the same share again");
    assert.deepEqual(audit.take().map((s) => s.index), Array.from({ length: AUDIT_PER_ROUND }, (_, i) => i + 1));
    assert.equal(audit.pending, 0);
    assert.equal(audit.add(10n, late(10n, 2)), false, "a member already checked this round, after the queue was taken");
  });

  test("a flooding member gets one check per round, however many different shares it sends", () => {
    const audit = new ShareAudit();
    for (let b = 0; b < 100; b++) audit.add(5n, late(5n, 4, b));
    assert.equal(audit.take().length, 1);
  });

  test("a copy of a share a recovery verified is not checked; a different share from that member is, even past the cap", () => {
    const audit = new ShareAudit();
    audit.verified(7n, new Map([[1, sig(1)], [2, sig(2)]]));
    for (let i = 3; i < 3 + AUDIT_PER_ROUND; i++) assert.ok(audit.add(7n, late(7n, i)));
    assert.equal(audit.add(7n, late(7n, 1)), false, "the verified bytes again");
    assert.equal(audit.add(7n, late(7n, 2, 99)), true, "another share from member 2: one of its two is invalid");
    assert.equal(audit.add(7n, late(7n, 2, 98)), false, "and only once");
  });

  test("refuses rounds more than AUDIT_ROUNDS behind the newest, and forgets them", () => {
    const audit = new ShareAudit();
    assert.equal(audit.add(20n, late(20n - BigInt(AUDIT_ROUNDS), 1)), false);
    assert.equal(audit.add(20n, late(21n - BigInt(AUDIT_ROUNDS), 1)), true);
    audit.verified(9n, new Map([[1, sig(1)]]));
    // Round 9 is forgotten once round 9 + AUDIT_ROUNDS is the newest: its member 1 is no longer known as verified,
    // and its shares are too old to take anyway.
    audit.verified(9n + BigInt(AUDIT_ROUNDS), new Map());
    assert.equal(audit.add(9n + BigInt(AUDIT_ROUNDS), late(9n, 1, 55)), false);
  });
});
