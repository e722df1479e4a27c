// SPDX-License-Identifier: Apache-2.0
// The beacon store survives restarts and a torn last record; the groups file round-trips shares and keys.
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { BeaconStore } from "../src/store/beacons.js";
import { loadGroups, saveGroups } from "../src/store/groups.js";

const dir = mkdtempSync(join(tmpdir(), "relaylab-store-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const beacon = (round: bigint) => ({ round, signature: new Uint8Array(48).fill(Number(round)), previousSignature: new Uint8Array(48), group: 0, epoch: 0n });

test("beacons persist across reopen, a torn tail is cut, and rounds must be consecutive", () => {
  const store = new BeaconStore(dir);
  for (let r = 1n; r <= 5n; r++) store.append(beacon(r));
  assert.throws(() => store.append(beacon(7n)), /expected round 6/);
  appendFileSync(join(dir, "beacons.bin"), Buffer.from([0, 0, 0, 200, 1, 2, 3])); // a record cut short by a crash
  const reopened = new BeaconStore(dir);
  assert.equal(reopened.latestRound, 5n);
  assert.deepEqual([...reopened.from(4n)].map((b) => b.round), [4n, 5n]);
  assert.equal(reopened.get(6n), undefined);
  reopened.append(beacon(6n));
  assert.equal(new BeaconStore(dir).latestRound, 6n);
});

test("every epoch's groups, secret shares and own DKG outcomes round-trip through groups.json, readable by the owner only", () => {
  const commitments = [new Uint8Array(96).fill(1), new Uint8Array(96).fill(2)];
  assert.deepEqual(loadGroups(dir), []);
  const epoch1 = { epoch: 1n, firstRound: 11n, groups: [], shares: new Map(), outcomes: new Map([[0, { body: new Uint8Array([1, 2, 3]), signature: new Uint8Array(64).fill(9) }]]) };
  saveGroups(dir, [{ epoch: 0n, firstRound: 1n, groups: [{ index: 0, candidate: 2, members: [3, 1, 4], threshold: 2, commitments }], shares: new Map([[0, { index: 2, secret: 12345678901234567890n }]]), outcomes: new Map() }, epoch1]);
  const [loaded, second] = loadGroups(dir);
  assert.ok(loaded);
  assert.deepEqual(second, epoch1);
  const group = loaded.groups[0];
  assert.ok(group);
  assert.deepEqual(group.members, [3, 1, 4]);
  assert.deepEqual(group.commitments.map((c) => Buffer.from(c).toString("hex")), commitments.map((c) => Buffer.from(c).toString("hex")));
  assert.deepEqual(loaded.shares.get(0), { index: 2, secret: 12345678901234567890n });
  assert.equal(statSync(join(dir, "groups.json")).mode & 0o077, 0);
});
