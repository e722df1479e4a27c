// SPDX-License-Identifier: Apache-2.0
// The double-signing guard and groups.json are replaced atomically, and the guard fails closed: a node that
// cannot read its guard refuses to start (one line, exit 2), and one that cannot record a height does not sign it.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { bindDataDir, genesisDocumentHash } from "../src/store/data-dir.js";
import { GuardError, readSignedHeight, recordSignedHeight, SIGNED_HEIGHT_FILE } from "../src/store/guard.js";
import { loadGroups, saveGroups } from "../src/store/groups.js";
import { TEST_CONSENSUS, waitForFinalized } from "./consensus/harness.js";
import { ProcessCluster, runNodeMain } from "./harness/cluster.js";
import { createTestnet, type Testnet } from "./harness/testnet.js";
import { waitFor } from "./harness/wait.js";

describe("signed-height guard (unit)", () => {
  let dir = "";
  before(() => (dir = mkdtempSync(join(tmpdir(), "relaylab-guard-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const fresh = (name: string): string => {
    const d = join(dir, name);
    mkdirSync(d);
    return d;
  };

  it("reads 0 where nothing was signed, then what was recorded, leaving no temp file", () => {
    const d = fresh("roundtrip");
    assert.equal(readSignedHeight(d), 0n);
    recordSignedHeight(d, 41n);
    recordSignedHeight(d, 42n);
    assert.equal(readSignedHeight(d), 42n);
    assert.deepEqual(readdirSync(d), [SIGNED_HEIGHT_FILE]);
  });

  it("ignores a temp file torn by a crash: the last whole record counts", () => {
    const d = fresh("torn");
    recordSignedHeight(d, 7n);
    writeFileSync(join(d, `${SIGNED_HEIGHT_FILE}.tmp`), "8");
    assert.equal(readSignedHeight(d), 7n);
    recordSignedHeight(d, 9n);
    assert.equal(readSignedHeight(d), 9n);
  });

  it("fails closed on a damaged record instead of reading it as 0", () => {
    const d = fresh("damaged");
    for (const text of ["", "\n", "12abc\n", "-3\n", "1".repeat(30)]) {
      writeFileSync(join(d, SIGNED_HEIGHT_FILE), text);
      assert.throws(() => readSignedHeight(d), (err: unknown) => {
        assert.ok(err instanceof GuardError);
        assert.match(err.message, /is damaged .* refuses to start/);
        assert.doesNotMatch(err.message, /\n/);
        return true;
      });
    }
  });

  it("fails closed on a record it cannot read", () => {
    const d = fresh("unreadable");
    mkdirSync(join(d, SIGNED_HEIGHT_FILE));
    assert.throws(() => readSignedHeight(d), (err: unknown) => err instanceof GuardError && /cannot read the double-signing guard/.test(err.message));
  });

  it("throws when a height cannot be recorded, and keeps the previous record", () => {
    const d = fresh("unwritable");
    recordSignedHeight(d, 5n);
    mkdirSync(join(d, `${SIGNED_HEIGHT_FILE}.tmp`));
    assert.throws(() => recordSignedHeight(d, 6n));
    assert.equal(readSignedHeight(d), 5n);
  });
});

describe("groups.json", () => {
  it("is replaced whole: a failed write leaves the previous groups and no temp file of ours", () => {
    const d = mkdtempSync(join(tmpdir(), "relaylab-groups-"));
    try {
      const epoch = (e: bigint) => ({ epoch: e, firstRound: e * 10n + 1n, groups: [], shares: new Map(), outcomes: new Map() });
      saveGroups(d, [epoch(0n)]);
      assert.deepEqual(readdirSync(d), ["groups.json"]);
      mkdirSync(join(d, "groups.json.tmp"));
      assert.throws(() => saveGroups(d, [epoch(0n), epoch(1n)]));
      assert.deepEqual(loadGroups(d), [epoch(0n)]);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe("a node and its guard", () => {
  let net: Testnet | undefined;
  before(async () => {
    // Finality from 2 of 3 (budget 0: no byzantine notary here), so nodes 1 and 2 finalize while node 0 signs nothing.
    net = await createTestnet({ nodes: 3, groups: 1, size: 3, threshold: 2, consensus: { ...TEST_CONSENSUS, threshold: 2, faultBudget: 0 } });
  });
  after(() => net?.remove());

  const bound = (n: Testnet, index: number): string => {
    const data = n.dataDir(index);
    mkdirSync(data, { recursive: true });
    bindDataDir(data, genesisDocumentHash(readFileSync(n.genesisFile)));
    return data;
  };

  it("refuses to start on a damaged guard: one line naming the file, exit 2", async () => {
    assert.ok(net);
    const data = bound(net, 0);
    writeFileSync(join(data, SIGNED_HEIGHT_FILE), "garbage\n");
    const r = await runNodeMain(["--genesis", net.genesisFile, "--index", "0", "--data-dir", data, "--identity-key-file", net.keyFile(0)]);
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] ?? "", new RegExp(`^relaylab-node: the double-signing guard ${join(data, SIGNED_HEIGHT_FILE)} is damaged`));
    assert.equal(readFileSync(join(data, SIGNED_HEIGHT_FILE), "utf8"), "garbage\n");
    rmSync(join(data, SIGNED_HEIGHT_FILE));
  });

  it("does not sign what it cannot record, while the others keep finalizing", async () => {
    assert.ok(net);
    const data = bound(net, 0);
    // A directory where the guard's temp file goes: every write of the guard fails.
    mkdirSync(join(data, `${SIGNED_HEIGHT_FILE}.tmp`));
    const cluster = new ProcessCluster(net);
    try {
      await cluster.startAll();
      await waitForFinalized(cluster, 3n, [1, 2]);
      const refused = await waitFor("node 0 to log sign_refused", () => cluster.node(0).logs.find((l) => l.includes('"event":"sign_refused"')));
      assert.match(refused, /not signing/);
      assert.equal(existsSync(join(data, SIGNED_HEIGHT_FILE)), false, "node 0 recorded a height although every write fails");
      assert.equal(cluster.node(0).logs.some((l) => l.includes('"event":"uncaught_exception"')), false);
    } finally {
      await cluster.stopAll();
    }
  });
});
