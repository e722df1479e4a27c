// SPDX-License-Identifier: Apache-2.0
// A run directory holds one genesis at a time: a new run moves the earlier run's history aside,
// deletes its node data and keys, and is refused while the earlier run's nodes still run.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { prepareRunDir, RunDirBusyError, retirePreviousRun, runFiles } from "../../src/local/run-dir.js";

const root = mkdtempSync(join(tmpdir(), "relaylab-run-dir-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** A finished run: genesis, state with the given pids, a log, a record, node data and keys. */
function finishedRun(dir: string, genesis: string, pids: (number | undefined)[] = [undefined]): void {
  const files = runFiles(dir);
  prepareRunDir(dir, 1);
  writeFileSync(files.genesis, genesis);
  writeFileSync(files.state, JSON.stringify({ subnet: "s", runDir: dir, startedAt: "", detached: false, nodes: pids.map((pid, index) => ({ index, pid })) }));
  writeFileSync(files.log(0), `{"genesis":"${genesis}"}\n`);
  writeFileSync(files.chaosRecord, `{"genesisSeed":"${genesis}"}`);
  writeFileSync(join(files.data(0), "beacons.bin"), "chain");
  writeFileSync(files.key(0), "secret");
}

describe("retirePreviousRun", () => {
  it("does nothing in a new directory", () => {
    const dir = join(root, "new");
    assert.equal(retirePreviousRun(dir), undefined);
    assert.equal(existsSync(dir), false);
  });

  it("moves genesis, state, logs and chaos record to previous/, and deletes node data, keys and faults", () => {
    const dir = join(root, "again");
    finishedRun(dir, "one");
    const retired = retirePreviousRun(dir);
    assert.ok(retired);
    assert.equal(retired.movedTo, join(dir, "previous"));
    assert.match(retired.genesisHash, /^[0-9a-f]{64}$/);
    assert.deepEqual(readdirSync(dir), ["previous"]);
    assert.deepEqual(readdirSync(retired.movedTo).sort(), ["chaos-record.json", "genesis.json", "logs", "state.json"]);
    assert.equal(readFileSync(join(retired.movedTo, "logs", "node-0.log"), "utf8"), '{"genesis":"one"}\n');

    // A third run replaces the second's previous/ with its own: history of one run, never mixed.
    prepareRunDir(dir, 1);
    finishedRun(dir, "two");
    retirePreviousRun(dir);
    assert.equal(readFileSync(join(dir, "previous", "genesis.json"), "utf8"), "two");
    assert.equal(readFileSync(join(dir, "previous", "chaos-record.json"), "utf8"), '{"genesisSeed":"two"}');
  });

  it("leaves files it does not own alone (a Prometheus database the user pointed at the run dir)", () => {
    const dir = join(root, "prometheus");
    finishedRun(dir, "one");
    mkdirSync(join(dir, "prometheus"));
    writeFileSync(join(dir, "prometheus", "wal"), "tsdb");
    retirePreviousRun(dir);
    assert.equal(readFileSync(join(dir, "prometheus", "wal"), "utf8"), "tsdb");
  });

  it("refuses, changing nothing, while a node of the earlier run still runs", async () => {
    const dir = join(root, "busy");
    const node = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    try {
      finishedRun(dir, "one", [undefined, node.pid]);
      assert.throws(() => retirePreviousRun(dir), (err: unknown) => {
        assert.ok(err instanceof RunDirBusyError);
        assert.equal(err.message, `a testnet is still running in ${dir} (node pids ${node.pid}); stop it with 'relaylab down --run-dir ${dir}', or use another --run-dir`);
        return true;
      });
      assert.ok(existsSync(join(runFiles(dir).data(0), "beacons.bin")));
      assert.equal(existsSync(join(dir, "previous")), false);
    } finally {
      const gone = new Promise((resolve) => node.once("exit", resolve));
      node.kill("SIGKILL");
      await gone;
    }
    assert.ok(retirePreviousRun(dir), "once its nodes are gone the run is retired");
  });
});
