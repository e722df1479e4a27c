// SPDX-License-Identifier: Apache-2.0
// Issue 3, test 4: a node killed and restarted catches up and verifies every missed round.
import assert from "node:assert/strict";
import { Metadata } from "@grpc/grpc-js";
import { after, before, test } from "node:test";
import { unary } from "../src/net/clients.js";
import { NODE_METRICS } from "../src/metrics/names.js";
import { ProcessCluster } from "./harness/cluster.js";
import { assertValidChain, fetchChain, getGroups } from "./harness/chain.js";
import { sample, scrape } from "./harness/metrics.js";
import { createTestnet, type Testnet } from "./harness/testnet.js";

let net: Testnet;
let cluster: ProcessCluster;

before(async () => {
  net = await createTestnet({ nodes: 7, groups: 1, size: 7, threshold: 4 });
  cluster = new ProcessCluster(net);
  await cluster.startAll();
});

after(async () => {
  await cluster.stopAll();
  net.remove();
});

test("a crashed node restarts from its data dir, syncs the rounds it missed and verifies them", async () => {
  await cluster.waitForRound(3n);
  const victim = 5;
  const control = cluster.node(victim).control;
  const exited = cluster.node(victim).exited;
  await unary((cb) => control.crash({ exitCode: 3 }, new Metadata(), { deadline: Date.now() + 10_000 }, cb));
  assert.equal(await exited, 3, "Control.Crash must exit with the requested code");
  await cluster.kill(victim).catch(() => undefined);
  const crashedAt = (await cluster.status(0)).round;
  // The other six (t = 4) keep going; wait for a gap worth syncing.
  await cluster.waitForRound(crashedAt + 15n);
  const restarted = await cluster.start(victim);
  const target = (await cluster.status(0)).round;
  await cluster.waitForRound(target, 120_000, [victim]);
  const text = await scrape(restarted.addresses.metrics);
  assert.ok(sample(text, NODE_METRICS.p2pBytes, { direction: "received", message: "sync" }) > 0, "the restarted node did not use SyncChain");
  const groups = await getGroups(restarted.public);
  const mine = await fetchChain(restarted.public, target);
  assertValidChain(mine, net.genesis.seed, groups);
  assert.deepEqual(mine, await fetchChain(cluster.node(0).public, target));
  const status = await cluster.status(victim);
  assert.equal(status.ready, true);
});
