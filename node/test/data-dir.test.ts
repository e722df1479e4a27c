// SPDX-License-Identifier: Apache-2.0
// A data directory belongs to one genesis: the node binds it on first start, and refuses to load,
// serve or extend the chain of another network (one line on stderr, exit code 2, data untouched).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { bindDataDir, DataDirError, GENESIS_BINDING_FILE, genesisDocumentHash } from "../src/store/data-dir.js";
import { ProcessCluster, runNodeMain } from "./harness/cluster.js";
import { createTestnet, type Testnet } from "./harness/testnet.js";

const HASH_A = "a".repeat(64);
const HASH_B = "b".repeat(64);

describe("bindDataDir", () => {
  let dir = "";
  before(() => (dir = mkdtempSync(join(tmpdir(), "relaylab-data-dir-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const fresh = (name: string): string => {
    const d = join(dir, name);
    mkdirSync(d);
    return d;
  };

  it("binds an empty directory, then accepts the same genesis again", () => {
    const d = fresh("empty");
    bindDataDir(d, HASH_A);
    assert.equal(readFileSync(join(d, GENESIS_BINDING_FILE), "utf8"), `${HASH_A}\n`);
    writeFileSync(join(d, "beacons.bin"), "chain");
    bindDataDir(d, HASH_A);
    assert.deepEqual(readdirSync(d).sort(), ["beacons.bin", GENESIS_BINDING_FILE]);
  });

  it("refuses a directory bound to another genesis, naming both hashes, and changes nothing", () => {
    const d = fresh("other");
    bindDataDir(d, HASH_A);
    assert.throws(() => bindDataDir(d, HASH_B), (err: unknown) => {
      assert.ok(err instanceof DataDirError);
      assert.match(err.message, new RegExp(`genesis ${HASH_A}, not of this --genesis ${HASH_B}`));
      assert.match(err.message, /empty --data-dir/);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
    assert.equal(readFileSync(join(d, GENESIS_BINDING_FILE), "utf8"), `${HASH_A}\n`);
  });

  it("refuses data without a binding: its genesis cannot be known", () => {
    const d = fresh("unbound");
    writeFileSync(join(d, "groups.json"), "{}");
    assert.throws(() => bindDataDir(d, HASH_A), /holds groups\.json but no genesis\.sha256/);
    assert.deepEqual(readdirSync(d), ["groups.json"]);
  });

  it("ignores a new volume's lost+found and a binding torn by a crash", () => {
    const d = fresh("volume");
    mkdirSync(join(d, "lost+found"));
    writeFileSync(join(d, `${GENESIS_BINDING_FILE}.tmp`), "aaaa");
    bindDataDir(d, HASH_B);
    assert.equal(readFileSync(join(d, GENESIS_BINDING_FILE), "utf8"), `${HASH_B}\n`);
  });

  it("refuses a damaged binding", () => {
    const d = fresh("damaged");
    writeFileSync(join(d, GENESIS_BINDING_FILE), "not a hash\n");
    assert.throws(() => bindDataDir(d, HASH_A), /is not a genesis hash/);
  });
});

describe("a node on another network's data dir", () => {
  let first: Testnet | undefined;
  let second: Testnet | undefined;
  before(async () => {
    first = await createTestnet({ nodes: 3, groups: 1, size: 3, threshold: 2 });
    second = await createTestnet({ nodes: 3, groups: 1, size: 3, threshold: 2 });
  });
  after(() => {
    first?.remove();
    second?.remove();
  });

  it("exits 2 with one line naming both genesis hashes, and leaves that chain as it was", async () => {
    assert.ok(first && second);
    const cluster = new ProcessCluster(first);
    try {
      await cluster.startAll();
      await cluster.waitForRound(2n);
    } finally {
      await cluster.stopAll();
    }
    const data = first.dataDir(0);
    const before = readdirSync(data).sort().map((f) => [f, statSync(join(data, f)).size]);
    assert.ok(before.some(([f]) => f === "beacons.bin"), `no chain in ${data}: ${JSON.stringify(before)}`);
    const r = await runNodeMain(["--genesis", second.genesisFile, "--index", "0", "--data-dir", data, "--identity-key-file", second.keyFile(0)]);
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    const firstHash = genesisDocumentHash(readFileSync(first.genesisFile));
    const secondHash = genesisDocumentHash(readFileSync(second.genesisFile));
    assert.notEqual(firstHash, secondHash);
    assert.equal(lines[0], `relaylab-node: data dir ${data} holds the chain of genesis ${firstHash}, not of this --genesis ${secondHash}; start this genesis on an empty --data-dir (or move ${data} aside: it is another network's data)`);
    assert.deepEqual(readdirSync(data).sort().map((f) => [f, statSync(join(data, f)).size]), before);
  });

  it("restarts on its own data dir and keeps its chain", async () => {
    assert.ok(first);
    const cluster = new ProcessCluster(first);
    try {
      await cluster.startAll();
      const status = await cluster.status(0);
      assert.ok(status.round >= 2n, `node 0 restarted at round ${status.round}, not on its stored chain`);
    } finally {
      await cluster.stopAll();
    }
  });
});
