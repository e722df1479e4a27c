// SPDX-License-Identifier: Apache-2.0
/**
 * Start-up and node memory: `npm run bench:startup -- --json FILE [--nodes 16,64] [--settle-seconds 20]
 * [--crypto-backend noble|mcl-wasm]`.
 *
 * For each size it does what a user does: `relaylab up --detach` (which returns once the testnet produces
 * beacons), timed from the command's start to its exit, so `firstBeaconSeconds` covers genesis, process
 * start-up, the DKG of epoch 0 and round 1. 16 nodes run the default topology of `npm start`; other sizes a
 * one-data-center topology with groups of 16 (t = 9), one group per 16 nodes. It then lets the testnet run
 * `--settle-seconds`, reads every node process's memory (/proc/PID/smaps_rollup: resident, anonymous, and
 * proportional, which divides the pages of the `node` binary shared by every process among them) and stops it with
 * `relaylab down`. Each size starts in a fresh run directory.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { quantile } from "@relaylab/node/quantile";
import { readRunState } from "../src/local/run-dir.js";
import { benchFlags, benchTopology, CRYPTO_BACKEND_OPTION, cryptoBackendFlag, numberFlag, usageError, writeResult } from "./support.js";

const flags = benchFlags({ nodes: { type: "string" }, "settle-seconds": { type: "string" }, ...CRYPTO_BACKEND_OPTION });
const sizes = String(flags.values.nodes ?? "16,64")
  .split(",")
  .map((s) => Number(s.trim()));
if (sizes.some((n) => !Number.isInteger(n) || n < 16)) usageError(`--nodes must be a comma-separated list of node counts of at least 16, got '${String(flags.values.nodes)}'`);
const settleSeconds = numberFlag(flags, "settle-seconds", 20);
const cryptoBackend = cryptoBackendFlag(flags);
const CLI = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "relaylab.js");
const [groupSize, threshold] = [16, 9];

/** Runs the CLI to its exit; resolves with its exit code, stdout and stderr. */
function relaylab(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      process.stderr.write(d);
    });
    child.on("exit", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** A process's memory in MiB from /proc/PID/smaps_rollup: resident, proportional (shared pages divided among their sharers) and anonymous. */
interface ProcessMemory {
  rss: number;
  pss: number;
  anon: number;
}

function memoryMiB(pid: number): ProcessMemory | undefined {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(rollup)?.[1] ?? NaN) / 1024;
    const m = { rss: field("Rss"), pss: field("Pss"), anon: field("Anonymous") };
    return Object.values(m).every(Number.isFinite) ? m : undefined;
  } catch {
    return undefined;
  }
}

const p50 = (values: readonly number[]): number => quantile([...values].sort((a, b) => a - b), 0.5);
const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

const results: { nodes: number; firstBeaconSeconds: number; nodeRssMbP50: number; nodeRssMbMax: number; totalRssMb: number; nodePssMbP50: number; nodeAnonMbP50: number; totalPssMb: number }[] = [];
for (const nodes of sizes) {
  const work = mkdtempSync(join(tmpdir(), "relaylab-startup-"));
  const runDir = join(work, "run");
  const args = ["up", "--detach", "--run-dir", runDir, "--crypto-backend", cryptoBackend];
  if (nodes !== 16) {
    const { subnet, dataCenters } = benchTopology(nodes, Math.max(1, Math.floor(nodes / groupSize)), groupSize, threshold, { dkgTimeoutMs: 300_000 });
    const file = join(work, "topology.yaml");
    writeFileSync(file, [...dataCenters, subnet].map((o) => stringify(o)).join("---\n"));
    args.push("-f", file);
  }
  process.stderr.write(`startup: ${nodes} nodes\n`);
  const started = performance.now();
  const up = await relaylab(args);
  const firstBeaconSeconds = (performance.now() - started) / 1000;
  try {
    if (up.code !== 0) throw new Error(`relaylab up --detach exited ${up.code} at ${nodes} nodes: ${up.stderr.trim().split("\n").at(-1) ?? ""}`);
    await new Promise((r) => setTimeout(r, settleSeconds * 1000));
    const memory = readRunState(runDir)
      .nodes.map((n) => (n.pid === undefined ? undefined : memoryMiB(n.pid)))
      .filter((v): v is ProcessMemory => v !== undefined);
    if (memory.length !== nodes) throw new Error(`only ${memory.length} of ${nodes} node processes were running after ${settleSeconds} s`);
    const rss = memory.map((m) => m.rss);
    const pss = memory.map((m) => m.pss);
    results.push({
      nodes,
      firstBeaconSeconds,
      nodeRssMbP50: p50(rss),
      nodeRssMbMax: Math.max(...rss),
      totalRssMb: sum(rss),
      nodePssMbP50: p50(pss),
      nodeAnonMbP50: p50(memory.map((m) => m.anon)),
      totalPssMb: sum(pss),
    });
  } finally {
    await relaylab(["down", "--run-dir", runDir]);
    rmSync(work, { recursive: true, force: true });
  }
}
writeResult(flags, { cryptoBackend, settleSeconds, results });
