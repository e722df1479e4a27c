// SPDX-License-Identifier: Apache-2.0
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { NODE_METRICS } from "@relaylab/node/metrics-names";
import { ChaosEngine } from "../../chaos/engine.js";
import { ExperimentError, loadExperiment } from "../../chaos/experiment.js";
import { junitXml } from "../../chaos/junit.js";
import { compareToBaseline } from "../../chaos/baseline.js";
import { type ChaosRecord, readChaosRecord } from "../../chaos/record.js";
import { judge, type Verdict } from "../../chaos/verdict.js";
import { createProgress } from "../../runner/progress.js";
import { runFiles, userPath, writeJson } from "../../runner/run-dir.js";
import { announce, runTestnet } from "../../runner/run.js";
import { scrape } from "../../runner/scrape.js";
import { loadTopology, topologyFromDocuments } from "../../runner/topology.js";
import { EXIT, UsageError } from "../errors.js";
import { installShutdown } from "../shutdown.js";
import { createTestnet, usageErrors } from "./up.js";

interface ChaosOptions {
  junit?: string;
  json?: boolean;
  replay?: string;
  baseline?: string;
  record?: string;
  runDir?: string;
  logLevel: string;
}

function formatVerdicts(name: string, verdicts: readonly Verdict[]): string {
  const lines = verdicts.map((v) => `${v.passed ? "PASS" : "FAIL"}  ${v.name}: ${v.measured} (expected ${v.expected})`);
  const passed = verdicts.filter((v) => v.passed).length;
  return `${lines.join("\n")}\nexperiment ${name}: ${passed} passed, ${verdicts.length - passed} failed\n`;
}

/** Invalid shares counted by every reachable node. */
async function invalidSharesCounted(addresses: readonly string[]): Promise<number> {
  const all = await Promise.all(addresses.map((a) => scrape(a).catch(() => [])));
  return all.flat().filter((s) => s.name === NODE_METRICS.shares && s.labels.result === "invalid").reduce((a, s) => a + s.value, 0);
}

function usageRecord(file: string, role: string): ChaosRecord {
  try {
    return readChaosRecord(userPath(file), role);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function baselineIntervals(record: ChaosRecord, file: string): number[] {
  if (record.roundIntervals === undefined || record.roundIntervals.length === 0) {
    throw new UsageError(`baseline record ${file} holds no round intervals; make a new baseline with this relaylab version (chaos run --record FILE)`);
  }
  return record.roundIntervals;
}

export function registerChaos(program: Command): void {
  const chaos = program.command("chaos").description("chaos experiments with a verdict for CI");
  chaos
    .command("run")
    .description("run an experiment on a local testnet and judge it")
    .argument("<EXPERIMENT>", "experiment YAML (kind: ChaosExperiment)")
    .option("--junit <FILE>", "write a JUnit XML report (one testcase per expectation)")
    .option("--json", "print the verdicts, the run summary and the record as one JSON object")
    .option("--replay <RECORD>", "re-apply a recorded run: same genesis seed, victims and firing rounds")
    .option("--baseline <RECORD>", "also judge round latency against an earlier run's record (see expectations.baseline)")
    .option("--record <FILE>", "where to write the run record (default <run dir>/chaos-record.json)")
    .option("--run-dir <DIR>", "run directory (default .relaylab/<subnet>)")
    .option("--log-level <LEVEL>", "node log level", "info")
    .action(async (file: string, opts: ChaosOptions) => {
      const path = userPath(file);
      const { experiment, topologyFiles } = await usageErrors(() => {
        try {
          return loadExperiment(path);
        } catch (err) {
          if (err instanceof ExperimentError) throw new UsageError(err.message);
          throw err;
        }
      });
      const replay = opts.replay !== undefined ? usageRecord(opts.replay, "replay") : undefined;
      const baseline = opts.baseline !== undefined ? baselineIntervals(usageRecord(opts.baseline, "baseline"), opts.baseline) : undefined;
      const topo = experiment.spec.topology;
      const topology = await usageErrors(() =>
        topologyFiles ? loadTopology(topologyFiles) : topologyFromDocuments("inline" in topo ? topo.inline.map((value, i) => ({ value, where: `${path} spec.topology.inline[${i}]` })) : [], path),
      );
      const testnet = await createTestnet(topology, { runDir: opts.runDir, seed: replay?.genesisSeed }, false);
      const progress = createProgress({ quiet: false });
      announce(testnet, progress);
      const shutdown = installShutdown(testnet, progress);
      const engine = new ChaosEngine(testnet, experiment, progress, replay);
      const started = performance.now();
      const { summary } = await runTestnet(testnet, {
        rounds: experiment.spec.rounds,
        maxStalls: experiment.spec.expectations.maxStalls ?? Number.MAX_SAFE_INTEGER,
        progress,
        signal: shutdown.signal,
        logLevel: opts.logLevel,
        onTick: () => void engine.tick(),
      });
      await engine.settle();
      const invalid = await invalidSharesCounted(testnet.endpoints.map((e) => e.metrics));
      await shutdown.stopTestnet();
      const intervals = testnet.observer.ledger.roundIntervals(2, summary.rounds);
      const verdicts = judge(experiment.spec.expectations, {
        summary,
        targetRounds: experiment.spec.rounds,
        stallTimeoutSeconds: testnet.genesis.timings.stallTimeoutMs / 1000,
        intervals,
        steps: engine.records,
        invalidSharesCounted: invalid,
        nodes: testnet.endpoints.length,
        groups: testnet.observer.ledger.groupSet(0)?.groups ?? [],
      });
      const roundIntervals = [...intervals.entries()].sort(([a], [b]) => a - b).map(([, seconds]) => seconds);
      if (baseline !== undefined) verdicts.push(compareToBaseline(roundIntervals, baseline, experiment.spec.expectations.baseline));
      const record = engine.record(experiment.metadata.name, testnet.genesis.seed, replay?.selectorSeed ?? experiment.spec.seed, roundIntervals);
      const recordFile = opts.record ? userPath(opts.record) : runFiles(testnet.runDir).chaosRecord;
      writeJson(recordFile, record);
      const seconds = (performance.now() - started) / 1000;
      if (opts.junit) writeFileSync(userPath(opts.junit), junitXml(experiment.metadata.name, verdicts, seconds));
      const passed = verdicts.every((v) => v.passed);
      process.stdout.write(opts.json ? `${JSON.stringify({ experiment: experiment.metadata.name, passed, verdicts, summary, record, recordFile })}\n` : formatVerdicts(experiment.metadata.name, verdicts));
      process.exitCode = passed ? EXIT.ok : EXIT.unhealthy;
    });
}
