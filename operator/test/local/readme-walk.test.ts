// SPDX-License-Identifier: Apache-2.0
/**
 * The README's local commands walked in order in one checkout-like directory, as a new user runs
 * them: default run directories under ./.relaylab, nothing cleaned up between commands, `up` run
 * again after `up`, and a detached testnet in the way of a foreground one. Every test elsewhere
 * gets a fresh temporary run directory; users do not.
 */
import assert from "node:assert/strict";
import { waitFor } from "@relaylab/node/wait";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { alive, runCli, statePids } from "../support/cli.js";

const checkout = mkdtempSync(join(tmpdir(), "relaylab-checkout-"));
const local = join(checkout, ".relaylab", "local");
const run = (args: readonly string[]) => runCli(args, { cwd: checkout });
const started: number[] = [];

after(() => {
  for (const pid of started) if (alive(pid)) process.kill(pid, "SIGKILL");
});

interface UpSummary {
  healthy: boolean;
  problems: string[];
  safety: { agreed: boolean; checkedRounds: number; violations: unknown[] };
}

async function upRounds(rounds: number): Promise<{ summary: UpSummary; stderr: string }> {
  const r = await run(["up", "--rounds", String(rounds), "--json"]);
  const summary = JSON.parse(r.stdout) as UpSummary;
  assert.deepEqual(summary.safety.violations, [], r.stderr.slice(-2000));
  assert.equal(summary.healthy, true, `${summary.problems.join("; ")}\n${r.stderr.slice(-2000)}`);
  assert.equal(r.code, 0);
  return { summary, stderr: r.stderr };
}

const genesisSeed = (dir: string): string => (JSON.parse(readFileSync(join(dir, "genesis.json"), "utf8")) as { seed: string }).seed;

describe("the README's local commands, in one checkout", () => {
  it("npm start's `relaylab up`, twice in a row: both healthy, the first run's logs kept aside", async () => {
    await upRounds(3);
    const firstSeed = genesisSeed(local);
    const { summary, stderr } = await upRounds(3);
    assert.ok(summary.safety.checkedRounds >= 3);
    assert.notEqual(genesisSeed(local), firstSeed, "every run is a new network");
    assert.equal(genesisSeed(join(local, "previous")), firstSeed);
    assert.ok(readdirSync(join(local, "previous", "logs")).length > 0, "the first run's node logs are kept");
    assert.ok(!existsSync(join(local, "previous", "data")) && !existsSync(join(local, "previous", "keys")), "the first run's chain and keys are not kept");
    assert.match(stderr, /the previous run in .* moved to .*previous/);
  });

  it("up --detach, then status, logs and load; a foreground up is refused while it runs; down stops it", async () => {
    const up = await run(["up", "--detach", "--json"]);
    assert.equal(up.code, 0, up.stderr);
    const pids = statePids(local);
    started.push(...pids);
    assert.ok(pids.length > 0 && pids.every(alive));
    const status = await run(["status", "--json"]);
    assert.equal(status.code, 0, status.stderr);
    assert.ok((JSON.parse(status.stdout) as { round: number }).round >= 1);
    const logs = await run(["logs", "3"]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /"node":3/);

    const busy = await run(["up", "--rounds", "3", "--json"]);
    assert.equal(busy.code, 2);
    assert.equal(busy.stdout, "");
    assert.match(busy.stderr, /^relaylab: a testnet is still running in .*\.relaylab\/local .*'relaylab down --run-dir .*'/);
    assert.equal(busy.stderr.trim().split("\n").length, 1, busy.stderr);
    assert.ok(pids.every(alive), "the refused up left the running testnet alone");

    const load = await run(["load", "--run-dir", ".relaylab/local", "--rate", "20", "--size", "256", "--duration", "3", "--json"]);
    assert.equal(load.code, 0, load.stderr);
    assert.ok((JSON.parse(load.stdout) as { accepted: number }).accepted > 0, load.stdout);

    const down = await run(["down", "--json"]);
    assert.equal(down.code, 0, down.stderr);
    assert.equal((JSON.parse(down.stdout) as { stopped: number }).stopped, pids.length);
    await waitFor("every detached node to exit", () => (pids.some(alive) ? undefined : true), { timeoutMs: 30_000 });
    const stopped = await run(["status", "--json"]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal((JSON.parse(stopped.stdout) as { running: number }).running, 0);
  });

  it("stall-model twice", async () => {
    const args = ["stall-model", "--nodes", "10000", "--faulty", "3000", "--group-size", "400", "--json"];
    const [a, b] = [await run(args), await run(args)];
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.stdout, a.stdout);
  });

  it("chaos run on the topology file beside the experiments says in one line that it is not an experiment", async () => {
    const r = await run(["chaos", "run", join(import.meta.dirname, "../../examples/chaos/topology.yaml")]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^relaylab: .*topology\.yaml is not a chaos experiment: it holds DataCenter, DataCenter, DataCenter, Subnet; .*relaylab up -f FILE'\n$/);
  });
});
