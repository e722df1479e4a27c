// SPDX-License-Identifier: Apache-2.0
/**
 * One chaos run on any testnet (the testnet port): run it for the experiment's rounds with the
 * step engine hooked to every round, read what the nodes counted, and judge the expectations.
 * Shared by `relaylab chaos run` (local processes) and runs against a Subnet on Kubernetes.
 */
import { NODE_METRICS } from "@relaylab/node/metrics-names";
import type { Progress } from "../local/progress.js";
import { runTestnet } from "../local/run.js";
import { scrape } from "../local/scrape.js";
import type { RunSummary } from "../local/summary.js";
import type { TestnetPort } from "../testnet/port.js";
import { ChaosEngine } from "./engine.js";
import type { RunnableExperiment } from "./experiment.js";
import type { ChaosRecord, StepRecord } from "./record.js";
import { judge, type Verdict } from "./verdict.js";

export interface ChaosRunOptions {
  readonly progress: Progress;
  /** Aborted to end the run early (SIGINT, a deleted Subnet). */
  readonly signal: AbortSignal;
  /** Re-apply a recorded run: same firing rounds and victims. */
  readonly replay?: ChaosRecord | undefined;
  readonly logLevel?: string | undefined;
  /** Called once the run is over and before the testnet's figures are read (e.g. to stop the nodes). */
  readonly beforeJudging?: () => Promise<void>;
  /** Called after each pass of the step engine with the verified round and the steps fired so far. */
  readonly onTick?: (round: number, steps: readonly StepRecord[]) => void;
}

export interface ChaosRunResult {
  readonly verdicts: Verdict[];
  readonly summary: RunSummary;
  readonly record: ChaosRecord;
  /** Seconds between consecutive verified rounds, in round order. */
  readonly roundIntervals: number[];
}

/** Invalid shares counted by every reachable node. */
async function invalidSharesCounted(addresses: readonly string[]): Promise<number> {
  const all = await Promise.all(addresses.map((a) => scrape(a).catch(() => [])));
  return all.flat().filter((s) => s.name === NODE_METRICS.shares && s.labels.result === "invalid").reduce((a, s) => a + s.value, 0);
}

export async function runExperiment(testnet: TestnetPort, experiment: RunnableExperiment, options: ChaosRunOptions): Promise<ChaosRunResult> {
  const { replay } = options;
  const engine = new ChaosEngine(testnet, experiment, options.progress, replay);
  const { summary } = await runTestnet(testnet, {
    rounds: experiment.spec.rounds,
    maxStalls: experiment.spec.expectations.maxStalls ?? Number.MAX_SAFE_INTEGER,
    progress: options.progress,
    signal: options.signal,
    logLevel: options.logLevel,
    onTick: () => void engine.tick().then(() => options.onTick?.(testnet.observer.round, engine.records)),
  });
  await engine.settle();
  const invalid = await invalidSharesCounted(testnet.endpoints.map((e) => e.metrics));
  await options.beforeJudging?.();
  const ledger = testnet.observer.ledger;
  const intervals = ledger.roundIntervals(2, summary.rounds);
  const verdicts = judge(experiment.spec.expectations, {
    summary,
    targetRounds: experiment.spec.rounds,
    stallTimeoutSeconds: testnet.genesis.timings.stallTimeoutMs / 1000,
    intervals,
    steps: engine.records,
    invalidSharesCounted: invalid,
    nodes: testnet.endpoints.length,
    groups: ledger.groupSet(0)?.groups ?? [],
    finalizedHeight: testnet.observer.finality.highestHeight,
  });
  const roundIntervals = [...intervals.entries()].sort(([a], [b]) => a - b).map(([, seconds]) => seconds);
  const record = engine.record(experiment.metadata.name, testnet.genesis.seed, replay?.selectorSeed ?? experiment.spec.seed, roundIntervals);
  return { verdicts, summary, record, roundIntervals };
}
