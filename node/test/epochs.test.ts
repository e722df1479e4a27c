// SPDX-License-Identifier: Apache-2.0
// Epochs: every E rounds the beacon draws fresh candidate groups whose DKG runs in the background; they sign from
// the next epoch boundary on. Every node registers the same groups per epoch and the chain verifies across epochs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useProcessTestnet } from "./harness/fixture.js";
import { assertValidChain, fetchChain, getGroups } from "./harness/chain.js";

const E = 4n;
const fx = useProcessTestnet({ nodes: 7, groups: 2, size: 5, threshold: 3, epochLength: Number(E) });

test("four epochs of groups sign the chain in turn, and every node agrees on them", async () => {
  const end = 3n * E + 2n; // two rounds into epoch 3
  await fx.cluster.waitForRound(end, 180_000);
  const epochs = [];
  for (let e = 0n; e <= 3n; e++) epochs.push(await getGroups(fx.cluster.node(0).client, e));
  epochs.forEach((set, e) => {
    assert.equal(set.epoch, BigInt(e));
    assert.equal(set.firstRound, BigInt(e) * E + 1n);
    assert.ok(set.groups.length >= 1, `epoch ${e} has no groups`);
  });
  const keys = new Set(epochs.flatMap((s) => s.groups.map((g) => Buffer.from(g.publicKey).toString("hex"))));
  assert.ok(keys.size > epochs[0]!.groups.length, "later epochs did not register fresh group keys");
  const reference = await fetchChain(fx.cluster.node(0).client, end);
  assertValidChain(reference, fx.net.genesis.seed, epochs);
  assert.deepEqual(reference.map((b) => b.epoch), reference.map((b) => (b.round - 1n) / E));
  for (const i of fx.cluster.running()) {
    for (let e = 0n; e <= 3n; e++) assert.deepEqual(await getGroups(fx.cluster.node(i).client, e), epochs[Number(e)], `node ${i} epoch ${e}`);
    assert.deepEqual(await fetchChain(fx.cluster.node(i).client, end), reference, `node ${i}'s chain differs`);
  }
});
