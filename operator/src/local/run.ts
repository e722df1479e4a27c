// SPDX-License-Identifier: Apache-2.0
/**
 * One foreground run of a testnet, shared by `relaylab up` and chaos experiments (local or on
 * Kubernetes, through the testnet port): start the nodes, follow them until the wanted rounds
 * (or Ctrl-C), let every node report the last round, and summarise.
 */
import { drive, type DriveOutcome } from "./drive.js";
import type { Progress } from "./progress.js";
import { runFiles } from "./run-dir.js";
import { buildSummary, type RunSummary } from "./summary.js";
import type { TestnetPort } from "../testnet/port.js";
import type { LocalTestnet } from "./testnet.js";

export interface RunOptions {
  readonly rounds?: number | undefined;
  readonly maxStalls: number;
  readonly progress: Progress;
  readonly signal: AbortSignal;
  readonly logLevel?: string | undefined;
  /** Called on every new verified round and once a second (chaos steps hook in here). */
  readonly onTick?: () => void;
}

export interface RunResult {
  readonly outcome: DriveOutcome;
  readonly summary: RunSummary;
}

/** How long without a new beacon before a run is declared wedged. */
export function noProgressTimeoutMs(testnet: Pick<TestnetPort, "genesis">): number {
  const t = testnet.genesis.timings;
  return Math.max(120_000, t.dkgTimeoutMs + 60_000, 10 * t.stallTimeoutMs);
}

/** Prints where things are and how to watch them with Prometheus. */
export function announce(testnet: LocalTestnet, progress: Progress): void {
  const files = runFiles(testnet.runDir);
  const previous = testnet.previousRun;
  if (previous !== undefined) progress.message(`the previous run in ${testnet.runDir} (genesis ${previous.genesisHash.slice(0, 12)}) moved to ${previous.movedTo}: its logs, genesis and chaos record; its node data is deleted`);
  progress.message(`starting ${testnet.endpoints.length} nodes of subnet ${testnet.genesis.subnet} (run dir ${testnet.runDir})`);
  progress.message(`Prometheus: prometheus --config.file=${files.prometheus} --storage.tsdb.path=${testnet.runDir}/prometheus --web.listen-address=127.0.0.1:9090`);
}

export async function runTestnet(testnet: TestnetPort, options: RunOptions): Promise<RunResult> {
  const { observer } = testnet;
  await testnet.start(options.logLevel);
  observer.start();
  const onTick = options.onTick;
  const ticker = onTick ? setInterval(onTick, 1000) : undefined;
  if (onTick) observer.on("round", onTick);
  try {
    const outcome = await drive(testnet, {
      rounds: options.rounds,
      progress: options.progress,
      signal: options.signal,
      noProgressTimeoutMs: noProgressTimeoutMs(testnet),
      stopOnViolation: options.rounds !== undefined,
    });
    if (outcome === "rounds_reached" && options.rounds !== undefined) {
      // Give every running node the chance to report the last round, so agreement covers all of them.
      const last = options.rounds;
      await observer.waitFor(() => (observer.ledger.round(last)?.nodes.size ?? 0) >= testnet.running().length, 30_000, "every node to report the last round").catch(() => undefined);
    }
    const summary = await buildSummary({ subnet: testnet.genesis.subnet, endpoints: testnet.endpoints, observer, maxStalls: options.maxStalls, stallTimeoutSeconds: testnet.genesis.timings.stallTimeoutMs / 1000, uptoRound: options.rounds });
    if (outcome === "no_progress") {
      const problems = [...summary.problems, `no new beacon for ${Math.round(noProgressTimeoutMs(testnet) / 1000)} s; see ${testnet.logs}`];
      return { outcome, summary: { ...summary, healthy: false, problems } };
    }
    return { outcome, summary };
  } finally {
    if (ticker) clearInterval(ticker);
    if (onTick) observer.off("round", onTick);
    options.progress.done();
  }
}
