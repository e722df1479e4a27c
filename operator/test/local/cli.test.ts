// SPDX-License-Identifier: Apache-2.0
/**
 * The local runner end to end: the real CLI starting real node processes talking gRPC on
 * 127.0.0.1. Waits are on events and state with generous deadlines, never fixed sleeps.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { alive, EXAMPLES, exited, runCli, startCli, statePids } from "../support/cli.js";
import { NodeClient } from "@relaylab/node/client";
import { waitFor } from "@relaylab/node/wait";
import { readRunState, runFiles } from "../../src/local/run-dir.js";

const TOPOLOGY = join(EXAMPLES, "chaos", "topology.yaml");
const tmp = mkdtempSync(join(tmpdir(), "relaylab-cli-"));
const started: number[] = [];

after(() => {
  for (const pid of started) if (alive(pid)) process.kill(pid, "SIGKILL");
});

/** Resolves once some node of the run reports a beacon round ≥ 1. */
async function firstBeacon(runDir: string): Promise<void> {
  await waitFor("the first beacon", async () => {
    let state;
    try {
      state = readRunState(runDir);
    } catch {
      return undefined;
    }
    for (const n of state.nodes) {
      const api = new NodeClient({ public: n.grpc, certificate: n.certificate });
      try {
        if ((await api.status({ deadlineMs: 1000 })).round >= 1n) return true;
      } catch {
        // Not up yet.
      } finally {
        api.close();
      }
    }
    return undefined;
  }, { timeoutMs: 180_000 });
}

describe("relaylab up", () => {
  it("runs R rounds and prints a healthy JSON summary, leaving no process behind", async () => {
    const runDir = join(tmp, "rounds");
    const r = await runCli(["up", "-f", TOPOLOGY, "--rounds", "4", "--json", "--run-dir", runDir]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as Record<string, unknown> & { safety: { agreed: boolean; checkedRounds: number }; nodes: unknown[]; groupSignatureBytes: { mean: number }; roundLatencySeconds: { p50: number }; signingLatencySeconds: { p50: number; p99: number } };
    assert.equal(s.rounds, 4);
    assert.equal(s.safety.agreed, true);
    assert.ok(s.safety.checkedRounds >= 4);
    assert.equal(s.nodes.length, 10);
    assert.ok(s.groupSignatureBytes.mean > 0, "nodes report bytes per group signature");
    assert.ok(s.roundLatencySeconds.p50 > 0);
    assert.ok(s.signingLatencySeconds.p50 > 0 && s.signingLatencySeconds.p99 >= s.signingLatencySeconds.p50, JSON.stringify(s.signingLatencySeconds));
    for (const key of ["stalls", "finalizedHeight", "roundLatencySeconds", "signingLatencySeconds", "groupSignatureBytes", "safety", "nodes"]) assert.ok(key in s, key);
    // Without --crypto-backend every node runs its default round crypto.
    assert.match(readFileSync(runFiles(runDir).log(0), "utf8"), /"event":"crypto_backend","backend":"mcl-wasm"/);
    const pids = statePids(runDir);
    assert.equal(pids.length, 10);
    await waitFor("every node process to exit", () => (pids.some(alive) ? undefined : true), { timeoutMs: 30_000 });
  });

  it("stops every node on SIGTERM and still prints the summary", async () => {
    const runDir = join(tmp, "sigterm");
    const cli = startCli(["up", "-f", TOPOLOGY, "--run-dir", runDir]);
    started.push(cli.pid ?? 0);
    await firstBeacon(runDir);
    const pids = statePids(runDir);
    cli.kill("SIGTERM");
    const r = await exited(cli);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /verdict healthy/);
    assert.match(r.stderr, /SIGTERM: stopping 10 nodes/);
    assert.equal(pids.filter(alive).length, 0);
  });

  it("leaves no orphan when the runner itself is killed", async () => {
    const runDir = join(tmp, "sigkill");
    const cli = startCli(["up", "-f", TOPOLOGY, "--run-dir", runDir]);
    started.push(cli.pid ?? 0);
    await firstBeacon(runDir);
    const pids = statePids(runDir);
    started.push(...pids);
    cli.kill("SIGKILL");
    await exited(cli);
    await waitFor("nodes to notice their runner is gone", () => (pids.some(alive) ? undefined : true), { timeoutMs: 60_000 });
  });

  it("detaches, then status, logs and down work from the run directory", async () => {
    const runDir = join(tmp, "detached");
    const up = await runCli(["up", "-f", TOPOLOGY, "--detach", "--json", "--run-dir", runDir, "--crypto-backend", "noble"]);
    assert.equal(up.code, 0, up.stderr);
    const pids = statePids(runDir);
    started.push(...pids);
    assert.equal(pids.filter(alive).length, 10);
    const status = await runCli(["status", "--json", "--run-dir", runDir]);
    assert.equal(status.code, 0, status.stderr);
    const st = JSON.parse(status.stdout) as { running: number; round: number; nodes: { reachable: boolean }[] };
    assert.equal(st.running, 10);
    assert.ok(st.round >= 1);
    const logs = await runCli(["logs", "3", "--run-dir", runDir]);
    assert.equal(logs.code, 0, logs.stderr);
    const first = JSON.parse(logs.stdout.split("\n")[0] ?? "") as { node: number };
    assert.equal(first.node, 3);
    assert.match(logs.stdout, /"event":"crypto_backend","backend":"noble"/, "--crypto-backend did not reach node 3");
    const down = await runCli(["down", "--json", "--run-dir", runDir]);
    assert.equal(down.code, 0, down.stderr);
    assert.equal((JSON.parse(down.stdout) as { stopped: number }).stopped, 10);
    assert.equal(pids.filter(alive).length, 0);
  });
});

describe("bad input to the CLI", () => {
  const cases: [string, string[], RegExp][] = [
    ["a non-numeric flag", ["up", "--nodes", "x"], /--nodes must be a whole number/],
    ["a missing topology file", ["up", "-f", "/nonexistent/topology.yaml"], /cannot read topology file/],
    ["a group larger than the subnet", ["up", "-f", TOPOLOGY, "--group-size", "40", "--run-dir", join(tmp, "bad")], /group/i],
    ["an unknown command", ["explode"], /unknown command 'explode'/],
    ["an unknown crypto backend", ["up", "--crypto-backend", "openssl"], /--crypto-backend must be one of noble, mcl-wasm, got 'openssl'/],
    ["an inconsistent stall model", ["stall-model", "--nodes", "10", "--faulty", "11", "--group-size", "4"], /--faulty \(11\) cannot exceed --nodes \(10\)/],
    ["a missing experiment", ["chaos", "run", "/nonexistent/exp.yaml"], /cannot read experiment file/],
    ["status without a testnet", ["status", "--run-dir", join(tmp, "none")], /no testnet state/],
    ["a PodMonitor label that is not KEY=VALUE", ["operator", "--pod-monitor-label", "release"], /--pod-monitor-label must be KEY=VALUE .* got 'release'/],
    ["a PodMonitor label with a bad value", ["operator", "--pod-monitor-label", "release=a b"], /--pod-monitor-label must be KEY=VALUE/],
    ["an operator pod label that is not KEY=VALUE", ["operator", "--operator-pod-label", "app"], /--operator-pod-label must be KEY=VALUE .* got 'app'/],
  ];
  for (const [what, args, message] of cases) {
    it(`answers ${what} with one line and exit code 2`, async () => {
      const r = await runCli(args);
      assert.equal(r.code, 2, r.stderr);
      const lines = r.stderr.trim().split("\n");
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0] ?? "", /^relaylab: /);
      assert.match(lines[0] ?? "", message);
    });
  }
});

describe("relaylab --version", () => {
  it("prints operator/package.json's version with exit code 0", async () => {
    const r = await runCli(["--version"]);
    assert.equal(r.code, 0, r.stderr);
    const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    assert.equal(r.stdout, `${version}\n`);
  });
});
