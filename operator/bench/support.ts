// SPDX-License-Identifier: Apache-2.0
/** Shared plumbing of the runner benchmarks: flags, a generated topology, one measured run. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_BACKEND, isBackendName, type BackendName } from "@relaylab/node/crypto/backend";
import { CRYPTO_BACKENDS } from "@relaylab/node/metrics-names";
import type { DataCenter, Subnet, SubnetTimings } from "../src/api/index.js";
import { createProgress } from "../src/local/progress.js";
import { userPath } from "../src/local/run-dir.js";
import { runTestnet } from "../src/local/run.js";
import type { RunSummary } from "../src/local/summary.js";
import { LocalTestnet } from "../src/local/testnet.js";
import { LocalProvider } from "../src/testnet/local.js";

export interface BenchFlags {
  readonly json: string | undefined;
  readonly values: Record<string, string | boolean | undefined>;
}

/** Bad benchmark flags: one line on stderr and exit code 2, as the CLI does. */
export function usageError(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

/** Parses `--json FILE` plus the benchmark's own flags (numbers as strings, switches as booleans). */
export function benchFlags(extra: Record<string, { type: "string" } | { type: "boolean" }>): BenchFlags {
  try {
    const { values } = parseArgs({ options: { json: { type: "string" }, ...extra }, allowPositionals: false });
    return { json: typeof values.json === "string" ? userPath(values.json) : undefined, values };
  } catch (err) {
    return usageError(err instanceof Error ? err.message : String(err));
  }
}

/** The `--crypto-backend NAME` option, for benchmarks whose nodes do round crypto. */
export const CRYPTO_BACKEND_OPTION = { "crypto-backend": { type: "string" } } as const;

/** The backend named by --crypto-backend, or the node's default; benchmarks pass it to every node and record it. */
export function cryptoBackendFlag(flags: BenchFlags): BackendName {
  const v = flags.values["crypto-backend"] ?? DEFAULT_BACKEND;
  if (typeof v !== "string" || !isBackendName(v)) usageError(`--crypto-backend must be one of ${CRYPTO_BACKENDS.join(", ")}, got '${String(v)}'`);
  return v;
}

export function numberFlag(flags: BenchFlags, name: string, fallback: number): number {
  const v = flags.values[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) usageError(`--${name} must be a positive number, got '${String(v)}'`);
  return n;
}

/** A one-data-center topology with no emulated latency: benchmarks measure the software, not a network profile. */
export function benchTopology(nodes: number, groups: number, groupSize: number, threshold: number, timings: SubnetTimings): { subnet: Subnet; dataCenters: DataCenter[] } {
  return {
    dataCenters: [{ apiVersion: "relaylab.dev/v1alpha1", kind: "DataCenter", metadata: { name: "bench" }, spec: {} }],
    subnet: {
      apiVersion: "relaylab.dev/v1alpha1",
      kind: "Subnet",
      metadata: { name: "bench", namespace: "default" },
      spec: { nodes, groups, groupSize, threshold, dataCenters: { names: ["bench"] }, timings },
    },
  };
}

/**
 * Runs one local testnet for `rounds` rounds, every node on `cryptoBackend`, and returns its summary (nodes always
 * stopped, run dir removed).
 */
export async function measuredRun(topology: ReturnType<typeof benchTopology>, rounds: number, cryptoBackend: BackendName): Promise<RunSummary> {
  const runDir = mkdtempSync(join(tmpdir(), "relaylab-bench-"));
  const testnet = await LocalTestnet.create({ topology, runDir, detached: false, cryptoBackend });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  try {
    const { summary } = await runTestnet(new LocalProvider(testnet), { rounds, maxStalls: 0, progress: createProgress({ quiet: false, plainEveryMs: 10_000 }), signal: stop.signal, logLevel: "warn" });
    return summary;
  } finally {
    process.off("SIGINT", onSignal);
    await testnet.stop();
    rmSync(runDir, { recursive: true, force: true });
  }
}

export function writeResult(flags: BenchFlags, result: object): void {
  const text = `${JSON.stringify({ ...result, machine: { cores: availableParallelism(), node: process.version } })}\n`;
  process.stdout.write(text);
  if (flags.json) writeFileSync(flags.json, text);
}
