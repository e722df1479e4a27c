// SPDX-License-Identifier: Apache-2.0
/**
 * `relaylab load` end to end: a real local testnet started with `up --detach`, loaded through the real CLI
 * over gRPC, then stopped with `down`. The command's own numbers must add up.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { LoadResult } from "../../src/load/generator.js";
import { alive, EXAMPLES, runCli, statePids } from "../support/cli.js";

const TOPOLOGY = join(EXAMPLES, "chaos", "topology.yaml");

describe("relaylab load against a local testnet", () => {
  const tmp = mkdtempSync(join(tmpdir(), "relaylab-load-"));
  const runDir = join(tmp, "run");
  let pids: number[] = [];

  before(async () => {
    const up = await runCli(["up", "-f", TOPOLOGY, "--detach", "--json", "--run-dir", runDir]);
    assert.equal(up.code, 0, up.stderr);
    pids = statePids(runDir);
  });

  after(async () => {
    await runCli(["down", "--run-dir", runDir]);
    for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
    rmSync(tmp, { recursive: true, force: true });
  });

  it("sends at the given rate and reports throughput and submit→finalized latency", async () => {
    const run = await runCli(["load", "--run-dir", runDir, "--rate", "20", "--size", "512", "--duration", "10", "--drain", "120", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const r = JSON.parse(run.stdout) as LoadResult;
    assert.equal(r.endpoints.length, 10);
    assert.equal(r.sent + r.skipped, 200);
    assert.equal(r.accepted + r.rejectedFull + r.failed, r.sent, "every submission got an answer");
    assert.ok(r.accepted > 0, `nothing accepted: ${r.firstError ?? ""}`);
    assert.equal(r.finalized + r.unfinalized, r.accepted);
    assert.ok(r.finalized > 0, "nothing finalized");
    assert.ok(r.throughputPerSecond > 0);
    assert.ok(r.latencySeconds.p50 > 0 && r.latencySeconds.p50 <= r.latencySeconds.p99 && r.latencySeconds.p99 <= r.latencySeconds.max);
    assert.ok(r.heights.to >= r.heights.from && r.heights.from >= 1);
    assert.match(run.stderr, /load \d+s {2}sent \d+/, "no progress lines on stderr");
  });

  it("loads chosen endpoints over TLS pinned by --genesis, and finalizes nothing through an unpinned channel", async () => {
    const genesis = JSON.parse(readFileSync(join(runDir, "genesis.json"), "utf8")) as { nodes: { address: string; certificate?: string }[] };
    assert.ok(genesis.nodes.every((n) => n.certificate?.startsWith("-----BEGIN CERTIFICATE-----")), "the runner gives every node a certificate");
    const endpoints = genesis.nodes.slice(0, 2).map((n) => n.address).join(",");
    const pinned = await runCli(["load", "--endpoints", endpoints, "--genesis", join(runDir, "genesis.json"), "--rate", "5", "--duration", "2", "--drain", "120", "--json"]);
    assert.equal(pinned.code, 0, pinned.stderr);
    assert.ok((JSON.parse(pinned.stdout) as LoadResult).finalized > 0);
    const unpinned = await runCli(["load", "--endpoints", endpoints, "--rate", "5", "--duration", "1", "--drain", "2", "--json"]);
    assert.equal(unpinned.code, 1, unpinned.stderr);
    assert.equal((JSON.parse(unpinned.stdout) as LoadResult).accepted, 0, "a plaintext client got through to a TLS node");
  });

  it("prints the same numbers for people without --json", async () => {
    const run = await runCli(["load", "--endpoints", "127.0.0.1:1", "--rate", "5", "--duration", "1", "--drain", "2"]);
    // Nothing can be finalized through a closed port: an unhealthy run, reported with the first error.
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /sent 5, accepted 0/);
    assert.match(run.stdout, /first error: /);
  });

  it("refuses bad flags with a one-line error and exit code 2", async () => {
    for (const [args, pattern] of [
      [["load", "--rate", "5"], /exactly one of --endpoints/],
      [["load", "--endpoints", "nohost", "--rate", "5"], /not host:port/],
      [["load", "--endpoints", "127.0.0.1:1", "--rate", "0"], /--rate must be at least 1/],
      [["load", "--run-dir", join(tmp, "missing")], /./],
      [["load", "--run-dir", runDir, "--genesis", join(runDir, "genesis.json")], /--genesis goes with --endpoints/],
      [["load", "--endpoints", "127.0.0.1:1", "--genesis", join(runDir, "genesis.json")], /127\.0\.0\.1:1 is no node's address in --genesis/],
      [["load", "--endpoints", "127.0.0.1:1", "--genesis", join(tmp, "missing.json")], /--genesis: cannot read .*ENOENT/],
      [["load", "--endpoints", "127.0.0.1:1", "--genesis", TOPOLOGY], /--genesis: .* is not a valid genesis/],
    ] as const) {
      const run = await runCli(args);
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
      assert.match(run.stderr, pattern);
      assert.equal(run.stderr.trim().split("\n").length, 1, `more than one line: ${run.stderr}`);
    }
  });
});
