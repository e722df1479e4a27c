// SPDX-License-Identifier: Apache-2.0
import { join } from "node:path";
import type { Command } from "commander";
import { GenesisError } from "@relaylab/node/config";
import { CRYPTO_BACKENDS, type CryptoBackend } from "@relaylab/node/metrics-names";
import { PlacementError } from "../../genesis/index.js";
import { drive } from "../../local/drive.js";
import { createProgress } from "../../local/progress.js";
import { defaultRunDir, RunDirBusyError, userPath } from "../../local/run-dir.js";
import { announce, noProgressTimeoutMs, runTestnet } from "../../local/run.js";
import { formatSummary } from "../../local/summary.js";
import { LocalTestnet } from "../../local/testnet.js";
import { LocalProvider } from "../../testnet/local.js";
import { loadTopology, type Topology, TopologyError, withOverrides } from "../../local/topology.js";
import { PACKAGE_DIR } from "../../package-dir.js";
import { EXIT, parseCount, UsageError } from "../errors.js";
import { installShutdown } from "../shutdown.js";

/** The topology `relaylab up` runs without -f: 3 data centers, 16 nodes, 4 groups of 7. */
export const DEFAULT_TOPOLOGY = join(PACKAGE_DIR, "examples", "local.yaml");

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
  cryptoBackend?: CryptoBackend;
}

/** Turns topology, placement and genesis problems into one-line usage errors. */
export async function usageErrors<T>(work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof TopologyError || err instanceof PlacementError || err instanceof GenesisError || err instanceof RunDirBusyError) throw new UsageError(err.message);
    throw err;
  }
}

/** Builds (but does not start) a local testnet for a topology. */
export function createTestnet(
  topology: Topology,
  opts: { runDir?: string | undefined; seed?: string | undefined; cryptoBackend?: CryptoBackend | undefined },
  detached: boolean,
): Promise<LocalTestnet> {
  if (opts.seed !== undefined && !/^[0-9a-f]{64}$/.test(opts.seed)) throw new UsageError("--seed must be 64 lowercase hex characters (32 bytes)");
  const runDir = opts.runDir ? userPath(opts.runDir) : defaultRunDir(topology.subnet.metadata.name ?? "subnet");
  return usageErrors(() => LocalTestnet.create({ topology, runDir, detached, seed: opts.seed, cryptoBackend: opts.cryptoBackend }));
}

/** Parses --crypto-backend: a backend name the node accepts. */
function parseCryptoBackend(value: string): CryptoBackend {
  const name = CRYPTO_BACKENDS.find((n) => n === value);
  if (name === undefined) throw new UsageError(`--crypto-backend must be one of ${CRYPTO_BACKENDS.join(", ")}, got '${value}'`);
  return name;
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
    .option("--crypto-backend <NAME>", `round crypto of every node: ${CRYPTO_BACKENDS.join(" or ")} (default: the node's, mcl-wasm)`, parseCryptoBackend)
    .action(async (opts: UpOptions) => {
      const topology = await usageErrors(() => withOverrides(loadTopology((opts.file ?? [DEFAULT_TOPOLOGY]).map(userPath), opts.subnet), opts));
      const testnet = await createTestnet(topology, opts, opts.detach === true);
      const progress = createProgress({ quiet: false });
      announce(testnet, progress);
      const shutdown = installShutdown(testnet, progress);
      if (opts.detach) {
        testnet.start(opts.logLevel);
        testnet.observer.start();
        const outcome = await drive(testnet, { rounds: 1, progress, signal: shutdown.signal, noProgressTimeoutMs: noProgressTimeoutMs(testnet), stopOnViolation: true });
        testnet.observer.stop();
        progress.done();
        if (outcome !== "rounds_reached") {
          await shutdown.stopTestnet();
          throw new Error(`testnet did not produce a beacon (${outcome}); see logs in ${testnet.runDir}/logs`);
        }
        shutdown.release();
        process.stdout.write(opts.json ? `${JSON.stringify({ subnet: testnet.genesis.subnet, runDir: testnet.runDir, nodes: testnet.endpoints })}\n` : `testnet ${testnet.genesis.subnet} is running; 'relaylab status --run-dir ${testnet.runDir}' shows it, 'relaylab down --run-dir ${testnet.runDir}' stops it\n`);
        return;
      }
      const { summary } = await runTestnet(new LocalProvider(testnet), { rounds: opts.rounds, maxStalls: opts.maxStalls, progress, signal: shutdown.signal, logLevel: opts.logLevel });
      await shutdown.stopTestnet();
      process.stdout.write(opts.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
      process.exitCode = summary.healthy ? EXIT.ok : EXIT.unhealthy;
    });
}
