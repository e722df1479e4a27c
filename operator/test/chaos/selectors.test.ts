// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { selectGroup } from "@relaylab/node/beacon";
import type { GroupSet } from "@relaylab/node/gen/relaylab/v1/public";
import { seededRandom, SelectionError, type SelectionContext, selectVictims } from "../../src/chaos/selectors.js";

const groups: GroupSet = {
  epoch: 0n,
  firstRound: 1n,
  groups: [
    { index: 0, members: [0, 2, 4, 6, 8, 10, 12], threshold: 4, publicKey: new Uint8Array(96) },
    { index: 1, members: [1, 3, 5, 7, 9, 11, 13], threshold: 4, publicKey: new Uint8Array(96) },
  ],
};
const beacon5 = new Uint8Array(48).fill(5);

function context(seed = 1): SelectionContext {
  return {
    dataCenters: ["a", "a", "a", "a", "a", "b", "b", "b", "b", "b", "c", "c", "c", "c"],
    groups,
    round: 5,
    beacon: (r) => (r === 5 ? beacon5 : undefined),
    stepVictims: new Map([["earlier", [3, 1]]]),
    random: seededRandom(seed),
  };
}

describe("group-aware victim selection", () => {
  it("takes g-t+1 members of a group, reproducibly for a seed", () => {
    const a = selectVictims({ group: 0, members: "g-t+1" }, context(9));
    assert.equal(a.length, 4);
    assert.ok(a.every((i) => groups.groups[0]!.members.includes(i)));
    assert.deepEqual(selectVictims({ group: 0, members: "g-t+1" }, context(9)), a);
  });

  it("finds the group that signs the next round from the latest beacon", () => {
    const expected = groups.groups[selectGroup(beacon5, 2)]!.members;
    assert.deepEqual(selectVictims({ activeGroup: true }, context()), [...expected].sort((x, y) => x - y));
    assert.deepEqual(selectVictims({ groupOfRound: 6, members: "t-1" }, context()).every((i) => expected.includes(i)), true);
  });

  it("refuses a round whose group is not known yet", () => {
    assert.throws(() => selectVictims({ groupOfRound: 9 }, context()), (e: unknown) => e instanceof SelectionError && /round 8 or later/.test(e.message));
  });

  it("selects by data center, one per data center, at random, and by an earlier step", () => {
    assert.deepEqual(selectVictims({ dataCenter: "c" }, context()), [10, 11, 12, 13]);
    assert.deepEqual(selectVictims({ perDataCenter: 1 }, context()), [0, 5, 10]);
    const r = selectVictims({ random: 3 }, context(4));
    assert.equal(new Set(r).size, 3);
    assert.deepEqual(selectVictims({ random: 3 }, context(4)), r);
    assert.deepEqual(selectVictims({ step: "earlier" }, context()), [1, 3]);
  });

  it("explains impossible selections", () => {
    assert.throws(() => selectVictims({ nodes: [99] }, context()), /node 99 does not exist/);
    assert.throws(() => selectVictims({ dataCenter: "z" }, context()), /no node runs in data center 'z'/);
    assert.throws(() => selectVictims({ group: 5 }, context()), /group 5 is not registered/);
    assert.throws(() => selectVictims({ group: 0, members: "g+1" }, context()), /between 1 and 7/);
    assert.throws(() => selectVictims({ random: 20 }, context()), /more than the 14 nodes/);
  });
});
