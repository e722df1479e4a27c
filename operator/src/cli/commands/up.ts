// SPDX-License-Identifier: Apache-2.0
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { GenesisError } from "@relaylab/node/config";
import { PlacementError } from "../../genesis/index.js";
import { drive } from "../../runner/drive.js";
import { createProgress } from "../../runner/progress.js";
import { defaultRunDir, runFiles, userPath } from "../../runner/run-dir.js";
import { buildSummary, formatSummary } from "../../runner/summary.js";
import { LocalTestnet } from "../../runner/testnet.js";
import { loadTopology, TopologyError, withOverrides } from "../../runner/topology.js";
import { EXIT, parseCount, UsageError } from "../errors.js";
import { installShutdown } from "../shutdown.js";

/** The topology `relaylab up` runs without -f: 3 data centers, 16 nodes, 4 groups of 7. */
export const DEFAULT_TOPOLOGY = fileURLToPath(new URL("../../../examples/local.yaml", import.meta.url));

interface UpOptions {
  file?: string[];
  subnet?: string;
  nodes?: number;
  groups?: number;
  groupSize?: number;
  threshold?: number;
  rounds?: number;
  maxStalls: number;
  json?: boolean;
  detach?: boolean;
  runDir?: string;
  seed?: string;
  logLevel: string;
}

/** Loads the topology and builds (but does not start) the testnet; bad input becomes a UsageError. */
export async function prepareTestnet(opts: UpOptions, detached: boolean): Promise<LocalTestnet> {
  try {
    const files = (opts.file ?? [DEFAULT_TOPOLOGY]).map(userPath);
    const topology = withOverrides(loadTopology(files, opts.subnet), opts);
    if (opts.seed !== undefined && !/^[0-9a-f]{64}$/.test(opts.seed)) throw new UsageError("--seed must be 64 lowercase hex characters (32 bytes)");
    const runDir = opts.runDir ? userPath(opts.runDir) : defaultRunDir(topology.subnet.metadata.name ?? "subnet");
    return await LocalTestnet.create({ topology, runDir, detached, seed: opts.seed });
  } catch (err) {
    if (err instanceof TopologyError || err instanceof PlacementError || err instanceof GenesisError) throw new UsageError(err.message);
    throw err;
  }
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerUp(program: Command): void {
  program
    .command("up")
    .description("run a whole testnet on this machine, one OS process per node")
    .option("-f, --file <FILE>", "Subnet/DataCenter YAML (repeatable); default operator/examples/local.yaml", collect)
    .option("--subnet <NAME>", "which Subnet of the files to run, when they hold several")
    .option("--nodes <N>", "override spec.nodes", parseCount("--nodes", 1))
    .option("--groups <G>", "override spec.groups", parseCount("--groups", 1))
    .option("--group-size <g>", "override spec.groupSize", parseCount("--group-size", 1))
    .option("--threshold <t>", "override spec.threshold", parseCount("--threshold", 1))
    .option("--rounds <R>", "stop after R beacon rounds and print a summary", parseCount("--rounds", 1))
    .option("--max-stalls <K>", "stall events a healthy run may have", parseCount("--max-stalls"), 0)
    .option("--json", "print the summary as one JSON object")
    .option("--detach", "start the testnet in the background and return once it produces beacons")
    .option("--run-dir <DIR>", "where genesis, keys, data, logs and Prometheus files go (default .relaylab/<subnet>)")
    .option("--seed <HEX>", "genesis seed (32 bytes hex) for a reproducible network; random by default")
    .option("--log-level <LEVEL>", "node log level", "info")
    .action(async (opts: UpOptions) => {
      const testnet = await prepareTestnet(opts, opts.detach === true);
      const progress = createProgress({ quiet: false });
      const files = runFiles(testnet.runDir);
      progress.message(`starting ${testnet.endpoints.length} nodes of subnet ${testnet.genesis.subnet} (run dir ${testnet.runDir})`);
      progress.message(`Prometheus: prometheus --config.file=${files.prometheus} --storage.tsdb.path=${testnet.runDir}/prometheus --web.listen-address=127.0.0.1:9090`);
      const shutdown = installShutdown(testnet, progress);
      testnet.start(opts.logLevel);
      testnet.observer.start();
      const t = testnet.genesis.timings;
      const noProgressTimeoutMs = Math.max(120_000, t.dkgTimeoutMs + 60_000, 10 * t.stallTimeoutMs);

      if (opts.detach) {
        const outcome = await drive(testnet, { rounds: 1, progress, signal: shutdown.signal, noProgressTimeoutMs, stopOnViolation: true });
        testnet.observer.stop();
        shutdown.release();
        if (outcome !== "rounds_reached") {
          await testnet.stop();
          throw new Error(`testnet did not produce a beacon (${outcome}); see logs in ${testnet.runDir}/logs`);
        }
        progress.done();
        process.stdout.write(opts.json ? `${JSON.stringify({ subnet: testnet.genesis.subnet, runDir: testnet.runDir, nodes: testnet.endpoints })}\n` : `testnet ${testnet.genesis.subnet} is running; 'relaylab status --run-dir ${testnet.runDir}' shows it, 'relaylab down --run-dir ${testnet.runDir}' stops it\n`);
        return;
      }

      const outcome = await drive(testnet, { rounds: opts.rounds, progress, signal: shutdown.signal, noProgressTimeoutMs, stopOnViolation: opts.rounds !== undefined });
      if (outcome === "rounds_reached" && opts.rounds !== undefined) {
        // Give every node the chance to report the last round, so agreement covers all of them.
        const last = opts.rounds;
        await testnet.observer
          .waitFor(() => (testnet.observer.ledger.round(last)?.nodes.size ?? 0) >= testnet.supervisor.running.length, 30_000, "every node to report the last round")
          .catch(() => undefined);
      }
      const summary = await buildSummary({ subnet: testnet.genesis.subnet, endpoints: testnet.endpoints, observer: testnet.observer, maxStalls: opts.maxStalls, uptoRound: opts.rounds });
      progress.done();
      await shutdown.stopTestnet();
      const problems = [...summary.problems];
      if (outcome === "no_progress") problems.push(`no new beacon for ${Math.round(noProgressTimeoutMs / 1000)} s; see node logs in ${testnet.runDir}/logs`);
      const healthy = problems.length === 0;
      const result = { ...summary, healthy, problems };
      process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : formatSummary(result));
      process.exitCode = healthy ? EXIT.ok : EXIT.unhealthy;
    });
}
