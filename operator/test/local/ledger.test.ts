// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { previousOfFirstRound, roundMessage, selectGroup } from "@relaylab/node/beacon";
import { dealShares, partialSign, recoverSignature } from "@relaylab/node/crypto";
import type { Beacon, GroupSet } from "@relaylab/node/gen/relaylab/v1/public";
import { BeaconLedger } from "../../src/local/ledger.js";

const SEED = "11".repeat(32);
const groups = [dealShares(3, 4), dealShares(3, 4)];
const groupSet: GroupSet = {
  epoch: 0n,
  firstRound: 1n,
  groups: groups.map((g, index) => ({ index, members: [0, 1, 2, 3], threshold: 3, publicKey: g.groupPublicKey })),
};

/** A real chain of `n` beacons signed by the groups the previous beacon selects. */
function chain(n: number): Beacon[] {
  const out: Beacon[] = [];
  let previous = previousOfFirstRound(SEED);
  for (let r = 1n; r <= BigInt(n); r++) {
    const group = selectGroup(previous, groups.length);
    const dealt = groups[group]!;
    const message = roundMessage(r, previous);
    const signature = recoverSignature(dealt.secretShares.slice(0, 3).map((s) => partialSign(s, message)), 3);
    out.push({ round: r, signature, previousSignature: previous, group, epoch: 0n });
    previous = signature;
  }
  return out;
}

const beacons = chain(4);

function ledger(): BeaconLedger {
  const l = new BeaconLedger(SEED);
  assert.equal(l.addGroupSet(0, groupSet), undefined);
  return l;
}

describe("verifier ledger", () => {
  it("accepts a valid chain reported by several nodes and measures intervals", () => {
    const l = ledger();
    beacons.forEach((b, i) => {
      assert.equal(l.add(0, b, i * 1000), undefined);
      assert.equal(l.add(1, b, i * 1000 + 5), undefined);
    });
    assert.equal(l.checkedRounds, 4);
    assert.equal(l.highestRound, 4);
    assert.deepEqual([...l.round(4)!.nodes], [0, 1]);
    assert.deepEqual(l.roundIntervalsSeconds(), [1, 1, 1]);
    assert.equal(l.violations.length, 0);
  });

  it("flags a signature that does not verify", () => {
    const l = ledger();
    const bad = { ...beacons[0]!, signature: beacons[1]!.signature };
    assert.equal(l.add(0, bad, 0)?.kind, "invalid_signature");
    assert.equal(l.checkedRounds, 0);
  });

  it("flags a round signed by a group the previous beacon did not select", () => {
    const l = ledger();
    const b = beacons[0]!;
    assert.equal(l.add(0, { ...b, group: 1 - b.group }, 0)?.kind, "wrong_group");
  });

  it("flags two nodes holding different beacons for one round", () => {
    const l = ledger();
    assert.equal(l.add(0, beacons[0]!, 0), undefined);
    const other = { ...beacons[0]!, signature: beacons[2]!.signature };
    const v = l.add(3, other, 1);
    assert.ok(v);
    assert.equal(v.kind, "disagreement");
    assert.equal(v.node, 3);
  });

  it("flags a beacon that does not chain from the agreed previous one", () => {
    const l = ledger();
    assert.equal(l.add(0, beacons[0]!, 0), undefined);
    const forked = { ...beacons[1]!, previousSignature: beacons[2]!.signature };
    assert.equal(l.add(0, forked, 1)?.kind, "broken_chain");
  });

  it("flags nodes that disagree on the registered groups", () => {
    const l = ledger();
    const swapped: GroupSet = { ...groupSet, groups: [...groupSet.groups].reverse().map((g, index) => ({ ...g, index })) };
    assert.equal(l.addGroupSet(2, swapped)?.kind, "group_set_mismatch");
    assert.equal(l.addGroupSet(1, groupSet), undefined);
  });
});
