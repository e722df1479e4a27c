// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { LocalTestnet } from "../../src/local/testnet.js";
import { topologyFromDocuments } from "../../src/local/topology.js";

const PINNED = "ab".repeat(32);
const topology = (genesisSeed?: string) =>
  topologyFromDocuments(
    [
      { value: { apiVersion: "relaylab.dev/v1alpha1", kind: "DataCenter", metadata: { name: "dc-a" }, spec: {} }, where: "dc" },
      {
        value: { apiVersion: "relaylab.dev/v1alpha1", kind: "Subnet", metadata: { name: "s", namespace: "default" }, spec: { nodes: 4, groups: 1, groupSize: 4, dataCenters: { names: ["dc-a"] }, ...(genesisSeed ? { genesisSeed } : {}) } },
        where: "subnet",
      },
    ],
    "test",
  );

describe("local testnet genesis seed", () => {
  const dirs: string[] = [];
  const runDir = () => {
    const d = mkdtempSync(join(tmpdir(), "relaylab-seed-"));
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("runs on the Subnet's pinned genesisSeed, so its groups are the same every run", async () => {
    const a = await LocalTestnet.create({ topology: topology(PINNED), runDir: runDir(), detached: false });
    const b = await LocalTestnet.create({ topology: topology(PINNED), runDir: runDir(), detached: false });
    assert.equal(a.genesis.seed, PINNED);
    assert.equal(b.genesis.seed, PINNED);
  });

  it("a replayed seed overrides the pinned one; without either each run is a new network", async () => {
    const replayed = await LocalTestnet.create({ topology: topology(PINNED), runDir: runDir(), detached: false, seed: "cd".repeat(32) });
    assert.equal(replayed.genesis.seed, "cd".repeat(32));
    const x = await LocalTestnet.create({ topology: topology(), runDir: runDir(), detached: false });
    const y = await LocalTestnet.create({ topology: topology(), runDir: runDir(), detached: false });
    assert.notEqual(x.genesis.seed, y.genesis.seed);
  });
});
