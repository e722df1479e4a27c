// SPDX-License-Identifier: Apache-2.0
/** Reads a node's chain and groups over its Public API and checks the chain independently of the node. */
import assert from "node:assert/strict";
import { previousOfFirstRound, selectGroup, verifyBeacon } from "../../src/beacon/chain.js";
import type { NodeClient } from "../../src/client/index.js";
import type { Beacon, GroupSet } from "../../src/gen/relaylab/v1/public.js";

export function getGroups(client: NodeClient, epoch = 0n): Promise<GroupSet> {
  return client.groups(epoch);
}

/** Beacons 1..upTo from `client` (concurrent GetBeacon calls on one channel). */
export function fetchChain(client: NodeClient, upTo: bigint): Promise<Beacon[]> {
  const rounds = Array.from({ length: Number(upTo) }, (_, i) => BigInt(i + 1));
  return Promise.all(rounds.map((round) => client.beacon(round)));
}

/**
 * Asserts that `chain` is B(1..n) of this seed: links, group selection and every BLS signature. `groups` is the
 * one epoch's set, or the sets of every epoch in order (beacon.epoch picks one).
 */
export function assertValidChain(chain: readonly Beacon[], seedHex: string, groupsByEpoch: GroupSet | readonly GroupSet[]): void {
  let previous = previousOfFirstRound(seedHex);
  chain.forEach((beacon, i) => {
    const groups = "groups" in groupsByEpoch ? groupsByEpoch : groupsByEpoch[Number(beacon.epoch)];
    assert.ok(groups, `round ${beacon.round}: no groups for epoch ${beacon.epoch}`);
    assert.equal(beacon.round, BigInt(i + 1), `beacon ${i} has round ${beacon.round}`);
    assert.equal(Buffer.from(beacon.previousSignature).toString("hex"), Buffer.from(previous).toString("hex"), `round ${beacon.round} does not chain from B(r-1)`);
    assert.equal(beacon.group, selectGroup(previous, groups.groups.length), `round ${beacon.round} signed by the wrong group`);
    const key = groups.groups[beacon.group]?.publicKey;
    assert.ok(key, `round ${beacon.round}: group ${beacon.group} is not registered`);
    assert.ok(verifyBeacon(beacon, key), `round ${beacon.round}: signature does not verify against group ${beacon.group}'s key`);
    previous = beacon.signature;
  });
}
