// SPDX-License-Identifier: Apache-2.0
/**
 * The run directory of a local testnet: genesis, identity keys, node data and logs, Prometheus
 * files, and the state that `relaylab status|down|logs` read for a detached testnet.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { stringify } from "yaml";

/** Where one node listens; all on 127.0.0.1. */
export interface NodeEndpoints {
  readonly index: number;
  readonly dataCenter: string;
  /** Protocol + Public gRPC, as named in genesis. */
  readonly grpc: string;
  readonly control: string;
  readonly metrics: string;
}

export interface RunState {
  readonly subnet: string;
  readonly runDir: string;
  readonly startedAt: string;
  readonly detached: boolean;
  readonly nodes: readonly (NodeEndpoints & { readonly pid: number | undefined })[];
}

/** The directory a user's relative path means: npm scripts run in a workspace, so prefer npm's INIT_CWD. */
export function userPath(p: string): string {
  return isAbsolute(p) ? p : resolve(process.env.INIT_CWD ?? process.cwd(), p);
}

/** Default run directory of a subnet. */
export function defaultRunDir(subnet: string): string {
  return userPath(join(".relaylab", subnet));
}

export const runFiles = (runDir: string) => ({
  genesis: join(runDir, "genesis.json"),
  state: join(runDir, "state.json"),
  targets: join(runDir, "prometheus-targets.json"),
  prometheus: join(runDir, "prometheus.yml"),
  key: (i: number) => join(runDir, "keys", `node-${i}.key`),
  data: (i: number) => join(runDir, "data", `node-${i}`),
  log: (i: number) => join(runDir, "logs", `node-${i}.log`),
  faults: (i: number) => join(runDir, "faults", `node-${i}.json`),
});

/** Creates the folder layout of a run. */
export function prepareRunDir(runDir: string, nodeCount: number): void {
  const files = runFiles(runDir);
  for (const d of ["keys", "data", "logs", "faults"]) mkdirSync(join(runDir, d), { recursive: true, mode: 0o700 });
  for (let i = 0; i < nodeCount; i++) mkdirSync(files.data(i), { recursive: true });
}

/** Prometheus file_sd targets: one entry per node with the labels dashboards filter on. */
export function prometheusTargets(subnet: string, nodes: readonly NodeEndpoints[]): unknown[] {
  return nodes.map((n) => ({
    targets: [n.metrics],
    labels: { job: "relaylab-node", subnet, data_center: n.dataCenter, node: String(n.index) },
  }));
}

/** A complete prometheus.yml that scrapes the run's nodes through the targets file. */
export function prometheusConfig(targetsFile: string, ruleFiles: readonly string[], scrapeIntervalSeconds = 2): string {
  return stringify({
    global: { scrape_interval: `${scrapeIntervalSeconds}s`, evaluation_interval: `${scrapeIntervalSeconds}s` },
    rule_files: ruleFiles,
    scrape_configs: [{ job_name: "relaylab-node", file_sd_configs: [{ files: [targetsFile], refresh_interval: "5s" }] }],
  });
}

export function writeJson(file: string, value: unknown, mode = 0o644): void {
  writeFileSync(file, `${JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`, { mode });
}

export function readRunState(runDir: string): RunState {
  const file = runFiles(runDir).state;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new Error(`no testnet state in ${runDir}; start one with 'relaylab up --detach' or pass --run-dir`);
  }
  return JSON.parse(text) as RunState;
}
