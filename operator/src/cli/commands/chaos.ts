// SPDX-License-Identifier: Apache-2.0
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { ExperimentError, loadExperiment } from "../../chaos/experiment.js";
import { junitXml } from "../../chaos/junit.js";
import { compareToBaseline } from "../../chaos/baseline.js";
import { type ChaosRecord, readChaosRecord } from "../../chaos/record.js";
import { RemoteRunError, runRemote } from "../../chaos/remote.js";
import { runExperiment } from "../../chaos/run.js";
import type { Experiment } from "../../chaos/experiment.js";
import type { Topology } from "../../local/topology.js";
import type { Verdict } from "../../chaos/verdict.js";
import { createProgress } from "../../local/progress.js";
import { runFiles, userPath, writeJson } from "../../local/run-dir.js";
import { announce } from "../../local/run.js";
import { loadTopology, topologyFromDocuments } from "../../local/topology.js";
import { LocalProvider } from "../../testnet/local.js";
import { EXIT, parseCount, UsageError } from "../errors.js";
import { installShutdown } from "../shutdown.js";
import { createTestnet, usageErrors } from "./up.js";

interface ChaosOptions {
  kube?: boolean;
  context?: string;
  namespace?: string;
  timeout: number;
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

/** The verdict lines, JSON, JUnit and record of a run, and its exit code: the same for a local and a Kubernetes run. */
function report(name: string, verdicts: readonly Verdict[], opts: ChaosOptions, json: Record<string, unknown>, junit: string): void {
  if (opts.junit) writeFileSync(userPath(opts.junit), junit);
  const passed = verdicts.every((v) => v.passed);
  process.stdout.write(opts.json ? `${JSON.stringify({ experiment: name, passed, verdicts, ...json })}\n` : formatVerdicts(name, verdicts));
  process.exitCode = passed ? EXIT.ok : EXIT.unhealthy;
}

/** `--kube`: the operator runs the experiment as a ChaosExperiment; this process creates it and waits for the verdict. */
async function runOnKube(experiment: Experiment, topology: Topology, opts: ChaosOptions, replay: ChaosRecord | undefined, baseline: number[] | undefined): Promise<void> {
  // Loaded here, not at the top: @kubernetes/client-node takes 0.6 s to load, which local runs need not pay.
  const { createKubeApi, loadKubeConfig } = await import("../../operator/runtime/client-node.js");
  const kc = await usageErrors(() => {
    let config: ReturnType<typeof loadKubeConfig>;
    try {
      config = loadKubeConfig();
    } catch (err) {
      throw new UsageError(`--kube: cannot load the kubeconfig (${(err as Error).message}): point KUBECONFIG at a readable kubeconfig`);
    }
    if (opts.context !== undefined) {
      if (config.getContextObject(opts.context) === null) throw new UsageError(`--context ${opts.context}: no such context in the kubeconfig (kubectl config get-contexts lists them)`);
      config.setCurrentContext(opts.context);
    }
    if (config.getCurrentCluster() === null) throw new UsageError("--kube: no cluster in the kubeconfig: set KUBECONFIG or create a cluster (charts/scripts/cluster.sh kind)");
    return config;
  });
  const namespace = opts.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default";
  const progress = createProgress({ quiet: false });
  const interrupt = new AbortController();
  process.once("SIGINT", () => interrupt.abort());
  const started = performance.now();
  const result = await runRemote(experiment, topology, { api: createKubeApi(kc), namespace, progress, signal: interrupt.signal, replay, timeoutMs: opts.timeout * 1000 }).catch((err: unknown) => {
    if (err instanceof RemoteRunError) throw new UsageError(err.message);
    throw err;
  });
  progress.done();
  const { verdicts } = result;
  if (baseline !== undefined && result.record?.roundIntervals !== undefined) verdicts.push(compareToBaseline(result.record.roundIntervals, baseline, experiment.spec.expectations.baseline));
  if (opts.record !== undefined && result.record !== undefined) writeJson(userPath(opts.record), result.record);
  const junit = baseline === undefined && result.junit !== undefined ? result.junit : junitXml(experiment.metadata.name, verdicts, (performance.now() - started) / 1000);
  report(experiment.metadata.name, verdicts, opts, { summary: result.summary, record: result.record, status: result.status, namespace }, junit);
}

export function registerChaos(program: Command): void {
  const chaos = program.command("chaos").description("chaos experiments with a verdict for CI");
  chaos
    .command("run")
    .description("run an experiment on a local testnet (or, with --kube, on a Kubernetes cluster) and judge it")
    .argument("<EXPERIMENT>", "experiment YAML (kind: ChaosExperiment)")
    .option("--junit <FILE>", "write a JUnit XML report (one testcase per expectation)")
    .option("--json", "print the verdicts, the run summary and the record as one JSON object")
    .option("--replay <RECORD>", "re-apply a recorded run: same genesis seed, victims and firing rounds")
    .option("--baseline <RECORD>", "also judge round latency against an earlier run's record (see expectations.baseline)")
    .option("--record <FILE>", "where to write the run record (default <run dir>/chaos-record.json)")
    .option("--run-dir <DIR>", "run directory (default .relaylab/<subnet>)")
    .option("--log-level <LEVEL>", "node log level", "info")
    .option("--kube", "run it on Kubernetes as a ChaosExperiment: the operator creates a Subnet from the topology and judges it there; missing DataCenters are created")
    .option("--context <CONTEXT>", "with --kube: the kubeconfig context (default: the current one)")
    .option("--namespace <NAMESPACE>", "with --kube: where the experiment and its Subnet go (default: the context's namespace, or default)")
    .option("--timeout <SECONDS>", "with --kube: how long to wait for the verdict", parseCount("--timeout", 1), 1800)
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
      if (opts.kube) {
        if (opts.runDir !== undefined) throw new UsageError("--run-dir has no meaning with --kube: the run happens in the cluster (use --record FILE to keep its record)");
        await runOnKube(experiment, topology, opts, replay, baseline);
        return;
      }
      if (opts.context !== undefined || opts.namespace !== undefined) throw new UsageError("--context and --namespace need --kube");
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
      report(experiment.metadata.name, verdicts, opts, { summary, record, recordFile }, junitXml(experiment.metadata.name, verdicts, seconds));
    });
}
