// SPDX-License-Identifier: Apache-2.0
// The late-share check (beacon/share-audit.ts): its bounds, and the recovery swap that decides a share without a
// pairing, with real shares: a valid late share recovers the beacon's signature, an invalid one does not.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AUDIT_PER_ROUND, AUDIT_ROUNDS, DEFAULT_AUDIT_SAMPLE, ShareAudit, swapIn } from "../src/beacon/share-audit.js";
import { dealShares, partialSign, recoverSignature, type PartialSignature } from "../src/crypto/index.js";

const sig = (byte: number): Uint8Array => new Uint8Array(48).fill(byte);
const late = (round: bigint, index: number, byte = index) => ({ round, index, signature: sig(byte) });
/** A recovery set of members 1..t with placeholder signatures (the bookkeeping does not look at them). */
const recovery = (t: number): PartialSignature[] => Array.from({ length: t }, (_, i) => ({ index: i + 1, signature: sig(200 + i) }));

describe("ShareAudit", () => {
  test("takes late shares only of rounds recovered here, one per member, first come, up to the per-round cap", () => {
    const audit = new ShareAudit(1);
    assert.equal(audit.add(late(10n, 5)), false, "a round this node did not recover");
    audit.recovered(10n, recovery(3));
    assert.equal(audit.add(late(10n, 2, 99)), false, "a member of the recovery set: its share was used, not late");
    const members = Array.from({ length: AUDIT_PER_ROUND + 3 }, (_, i) => i + 4);
    for (const [i, m] of members.entries()) assert.equal(audit.add(late(10n, m)), i < AUDIT_PER_ROUND, `member ${m}`);
    assert.equal(audit.add(late(10n, 4, 77)), false, "a second share from a member already taken");
    assert.deepEqual(audit.take().map((s) => s.index), members.slice(0, AUDIT_PER_ROUND));
    assert.equal(audit.pending, 0);
  });

  test("a flooding member gets one check per round, however many different shares it sends", () => {
    const audit = new ShareAudit(1);
    audit.recovered(5n, recovery(3));
    for (let b = 0; b < 100; b++) audit.add(late(5n, 9, b));
    assert.equal(audit.take().length, 1);
  });

  test("checks a keyed sample of late shares: none at 0, about a quarter by default, every one at 1", () => {
    const taken = (sample: number | undefined): number => {
      const audit = new ShareAudit(sample);
      let n = 0;
      for (let round = 1n; round <= 500n; round++) {
        audit.recovered(round, recovery(1));
        for (let index = 2; index <= 9; index++) if (audit.add(late(round, index))) n++;
      }
      return n;
    };
    assert.equal(taken(0), 0);
    assert.equal(taken(1), 4000);
    const sampled = taken(undefined);
    // 4000 draws at p = 0.25: mean 1000, standard deviation 27; the bounds are more than 5 of them away.
    assert.ok(sampled > 4000 * DEFAULT_AUDIT_SAMPLE - 150 && sampled < 4000 * DEFAULT_AUDIT_SAMPLE + 150, `${sampled} of 4000 sampled`);
    assert.throws(() => new ShareAudit(1.5), /sample must be in \[0, 1\]/);
  });

  test("forgets rounds AUDIT_ROUNDS behind the newest recovered one", () => {
    const audit = new ShareAudit(1);
    audit.recovered(9n, recovery(3));
    audit.recovered(9n + BigInt(AUDIT_ROUNDS) - 1n, recovery(3));
    assert.ok(audit.recovery(9n));
    audit.recovered(9n + BigInt(AUDIT_ROUNDS), recovery(3));
    assert.equal(audit.recovery(9n), undefined);
    assert.equal(audit.add(late(9n, 7)), false);
  });
});

describe("swapIn", () => {
  const t = 3;
  const dealt = dealShares(t, 6);
  const message = new TextEncoder().encode("round 12");
  const partials = dealt.secretShares.map((s) => partialSign(s, message));
  const beacon = recoverSignature(partials.slice(0, t), t);
  const used = partials.slice(0, t);

  test("a valid late share recovers the beacon's signature in place of one of the set, an invalid one does not", () => {
    for (const lateShare of partials.slice(t)) {
      const swapped = swapIn(used, lateShare);
      assert.ok(swapped && swapped.some((p) => p.index === lateShare.index) && swapped.length === t);
      assert.deepEqual(recoverSignature(swapped, t), beacon, `member ${lateShare.index}`);
    }
    // Member 5's share for another message: a valid point, a wrong share.
    const wrong = partialSign(dealt.secretShares[4]!, new TextEncoder().encode("round 13"));
    assert.notDeepEqual(recoverSignature(swapIn(used, wrong)!, t), beacon);
  });

  test("refuses a share of a member already in the set, and a set with nothing to swap out", () => {
    assert.equal(swapIn(used, partials[0]!), undefined);
    assert.equal(swapIn([], partials[4]!), undefined);
  });
});
