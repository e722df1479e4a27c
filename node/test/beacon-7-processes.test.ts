// SPDX-License-Identifier: Apache-2.0
// Issue 3, test 1: 7 node processes, one group, t = 4: 20 rounds; every node holds identical B(1..20) and each verifies.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ProcessCluster } from "./harness/cluster.js";
import { assertValidChain, fetchChain, getGroups } from "./harness/chain.js";
import { sample, scrape } from "./harness/metrics.js";
import { createTestnet, type Testnet } from "./harness/testnet.js";
import { waitFor } from "./harness/wait.js";
import { NODE_METRICS } from "../src/metrics/names.js";

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

test("7 processes agree on 20 verified beacons", async () => {
  await cluster.waitForRound(20n, 180_000);
  const chains = await Promise.all(cluster.running().map((i) => fetchChain(cluster.node(i).public, 20n)));
  const groups = await getGroups(cluster.node(0).public);
  assert.equal(groups.groups.length, 1);
  assert.deepEqual([...(groups.groups[0]?.members ?? [])].sort(), [0, 1, 2, 3, 4, 5, 6]);
  for (const [i, chain] of chains.entries()) {
    assert.deepEqual(chain, chains[0], `node ${i}'s chain differs from node 0's`);
    // Each node's own view of the groups must agree too: it learned the key from the DKG itself.
    assert.deepEqual(await getGroups(cluster.node(i).public), groups, `node ${i} registered different groups`);
  }
  assertValidChain(chains[0] ?? [], net.genesis.seed, groups);
  for (const i of cluster.running()) {
    const s = await cluster.status(i);
    assert.equal(s.ready, true, `node ${i} not ready`);
    assert.equal(s.registeredGroups, 1);
    assert.ok(s.roundLatencyP50Seconds > 0, `node ${i} reports no round latency`);
    const text = await scrape(cluster.node(i).addresses.metrics);
    assert.ok(sample(text, NODE_METRICS.beaconRound) >= 20);
    assert.ok(sample(text, `${NODE_METRICS.groupSignatureBytes}_count`) >= 1, `node ${i} recorded no group signature bytes`);
    assert.equal((await fetch(`http://${cluster.node(i).addresses.metrics}/readyz`)).status, 200);
  }
});

test("SIGTERM shuts a node down cleanly with exit code 0", async () => {
  const code = await waitFor("node 6 to exit", () => cluster.kill(6, "SIGTERM"), 30_000);
  assert.equal(code, 0);
});
