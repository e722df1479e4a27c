// SPDX-License-Identifier: Apache-2.0
// 7 node processes, one group, t = 4: 20 rounds; every node holds identical B(1..20) and each verifies.
// The nodes mix round crypto backends (even nodes --crypto-backend noble, node 1 mcl-wasm by flag, 3 and 5 by
// default), so shares, beacons and consensus certificates cross between noble and mcl-wasm.
import assert from "node:assert/strict";
import { status, type ServiceError } from "@grpc/grpc-js";
import { test } from "node:test";
import type { Beacon } from "../src/gen/relaylab/v1/public.js";
import { assertValidChain, fetchChain, getGroups } from "./harness/chain.js";
import { sample, scrape } from "./harness/metrics.js";
import { useProcessTestnet } from "./harness/fixture.js";
import { waitFor } from "./harness/wait.js";
import { LABELS, NODE_METRICS, type CryptoBackend } from "../src/metrics/names.js";
import { assertAgreement, waitForFinalized } from "./consensus/harness.js";

const backendOf = (index: number): CryptoBackend => (index % 2 === 0 ? "noble" : "mcl-wasm");
const fx = useProcessTestnet({ nodes: 7, groups: 1, size: 7, threshold: 4 }, { args: (i) => (i % 2 === 0 ? ["--crypto-backend", "noble"] : i === 1 ? ["--crypto-backend", "mcl-wasm"] : []) });

test("7 processes agree on 20 verified beacons", async () => {
  await fx.cluster.waitForRound(20n, 180_000);
  const chains = await Promise.all(fx.cluster.running().map((i) => fetchChain(fx.cluster.node(i).client, 20n)));
  const groups = await getGroups(fx.cluster.node(0).client);
  assert.equal(groups.groups.length, 1);
  assert.deepEqual([...(groups.groups[0]?.members ?? [])].sort(), [0, 1, 2, 3, 4, 5, 6]);
  for (const [i, chain] of chains.entries()) {
    assert.deepEqual(chain, chains[0], `node ${i}'s chain differs from node 0's`);
    // Each node's own view of the groups must agree too: it learned the key from the DKG itself.
    assert.deepEqual(await getGroups(fx.cluster.node(i).client), groups, `node ${i} registered different groups`);
  }
  assertValidChain(chains[0] ?? [], fx.net.genesis.seed, groups);
  for (const i of fx.cluster.running()) {
    const s = await fx.cluster.status(i);
    assert.equal(s.ready, true, `node ${i} not ready`);
    assert.equal(s.registeredGroups, 1);
    assert.ok(s.roundLatencyP50Seconds > 0, `node ${i} reports no round latency`);
    const text = await scrape(fx.cluster.node(i).addresses.metrics);
    assert.ok(sample(text, NODE_METRICS.beaconRound) >= 20);
    // A member records the bytes of a round it signed in; on a loaded machine a node may have followed the first
    // rounds by received beacons while its own DKG finished, so wait for one round it signed in.
    await waitFor(`node ${i} to record group signature bytes`, async () => sample(await scrape(fx.cluster.node(i).addresses.metrics), `${NODE_METRICS.groupSignatureBytes}_count`) >= 1, { timeoutMs: 120_000 });
    assert.equal((await fetch(`http://${fx.cluster.node(i).addresses.metrics}/readyz`)).status, 200);
  }
});

test("nodes on noble and on mcl-wasm finalize the same blocks, and each reports its backend", async () => {
  const nodes = fx.cluster.running();
  for (const i of nodes) {
    const text = await scrape(fx.cluster.node(i).addresses.metrics);
    assert.equal(sample(text, NODE_METRICS.nodeInfo, { [LABELS.node]: String(i), [LABELS.cryptoBackend]: backendOf(i) }), 1, `node ${i} does not report crypto backend ${backendOf(i)}`);
  }
  await waitForFinalized(fx.cluster, 3n, nodes, 180_000);
  assert.ok((await assertAgreement(fx.cluster, nodes, 3n)) > 0);
});

test("WatchBeacons replays stored beacons from from_round, then streams live ones without gaps", async () => {
  const client = fx.cluster.node(1).client;
  const latest = (await fx.cluster.status(1)).round;
  const from = latest - 2n;
  const seen: bigint[] = [];
  await new Promise<void>((resolve, reject) => {
    const stream = client.watchBeacons(from);
    stream.on("data", (b: Beacon) => {
      seen.push(b.round);
      if (b.round >= latest + 3n) {
        stream.cancel();
        resolve();
      }
    });
    stream.on("error", (err: ServiceError) => (err.code === status.CANCELLED ? resolve() : reject(err)));
  });
  assert.deepEqual(seen, Array.from({ length: seen.length }, (_, i) => from + BigInt(i)));
  assert.ok(seen.length >= 6);
});

test("SIGTERM shuts a node down cleanly with exit code 0", async () => {
  const { logs } = fx.cluster.node(6);
  const code = await waitFor("node 6 to exit", () => fx.cluster.kill(6, "SIGTERM"), { timeoutMs: 30_000 });
  assert.equal(code, 0, `node 6 exited with ${code}; its last lines:\n${logs.slice(-15).join("\n")}`);
});
