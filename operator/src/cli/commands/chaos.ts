// SPDX-License-Identifier: Apache-2.0
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { ExperimentError, loadExperiment } from "../../chaos/experiment.js";
import { junitXml } from "../../chaos/junit.js";
import { compareToBaseline } from "../../chaos/baseline.js";
import { type ChaosRecord, readChaosRecord } from "../../chaos/record.js";
import { runExperiment } from "../../chaos/run.js";
import type { Verdict } from "../../chaos/verdict.js";
import { createProgress } from "../../local/progress.js";
import { runFiles, userPath, writeJson } from "../../local/run-dir.js";
import { announce } from "../../local/run.js";
import { loadTopology, topologyFromDocuments } from "../../local/topology.js";
import { LocalProvider } from "../../testnet/local.js";
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
      const started = performance.now();
      const { verdicts, summary, record, roundIntervals } = await runExperiment(new LocalProvider(testnet), experiment, {
        progress,
        signal: shutdown.signal,
        replay,
        logLevel: opts.logLevel,
        beforeJudging: () => shutdown.stopTestnet(),
      });
      if (baseline !== undefined) verdicts.push(compareToBaseline(roundIntervals, baseline, experiment.spec.expectations.baseline));
      const recordFile = opts.record ? userPath(opts.record) : runFiles(testnet.runDir).chaosRecord;
      writeJson(recordFile, record);
      const seconds = (performance.now() - started) / 1000;
      if (opts.junit) writeFileSync(userPath(opts.junit), junitXml(experiment.metadata.name, verdicts, seconds));
      const passed = verdicts.every((v) => v.passed);
      process.stdout.write(opts.json ? `${JSON.stringify({ experiment: experiment.metadata.name, passed, verdicts, summary, record, recordFile })}\n` : formatVerdicts(experiment.metadata.name, verdicts));
      process.exitCode = passed ? EXIT.ok : EXIT.unhealthy;
    });
}
