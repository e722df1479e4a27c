// SPDX-License-Identifier: Apache-2.0
/**
 * The run directory of a local testnet: genesis, identity keys, node data and logs, Prometheus
 * files, and the state that `relaylab status|down|logs` read for a detached testnet.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { stringify } from "yaml";

/** Where one node listens; all on 127.0.0.1. */
/**
 * Deadline of a fault push or crash through a node's Control API from the CLI. A chaos step pushes to every node
 * at once, each over a TLS channel opened then; on a loaded 2-core machine that took more than the client's
 * default 5 s, and the step was judged not applied although every node took it a little later.
 */
export const CONTROL_CALL_DEADLINE_MS = 30_000;

export interface NodeEndpoints {
  readonly index: number;
  readonly dataCenter: string;
  /** Protocol + Public gRPC, as named in genesis. */
  readonly grpc: string;
  readonly control: string;
  readonly metrics: string;
  /** The certificate genesis pins for the node (PEM): its gRPC ports serve TLS with it (@relaylab/node net/tls.ts). */
  readonly certificate?: string | undefined;
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
  previous: join(runDir, "previous"),
  chaosRecord: join(runDir, "chaos-record.json"),
  state: join(runDir, "state.json"),
  targets: join(runDir, "prometheus-targets.json"),
  prometheus: join(runDir, "prometheus.yml"),
  key: (i: number) => join(runDir, "keys", `node-${i}.key`),
  /** The testnet's control key (ed25519): the runner signs Control API calls with it, the nodes check them with its public half. */
  controlKey: join(runDir, "keys", "control.key"),
  controlPub: join(runDir, "keys", "control.pub"),
  data: (i: number) => join(runDir, "data", `node-${i}`),
  log: (i: number) => join(runDir, "logs", `node-${i}.log`),
  faults: (i: number) => join(runDir, "faults", `node-${i}.json`),
});

/** The run directory is in use by a testnet whose nodes still run; the message says how to stop it. */
export class RunDirBusyError extends Error {
  override readonly name = "RunDirBusyError";
}

/** True when a process with this pid exists (signal 0 probes without signalling). */
export function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** What became of an earlier run found in a run directory. */
export interface RetiredRun {
  /** sha256 of its genesis document. */
  readonly genesisHash: string;
  /** Where its genesis, state, logs and chaos record now are. */
  readonly movedTo: string;
}

/** What an earlier run leaves for the user to read, moved aside as a whole. */
const HISTORY = ["genesis.json", "state.json", "logs", "chaos-record.json"] as const;
/** What only the earlier network's nodes could use: its chain, key shares, identity keys and fault files. */
const NETWORK_STATE = ["data", "keys", "faults"] as const;

/**
 * Makes `runDir` ready for a new genesis. Every run writes a new genesis (new seed, keys and
 * ports), and nodes refuse data bound to another genesis, so a new run needs clean node data.
 * The earlier run's history (genesis, state, logs, chaos record) moves to `previous/`, replacing
 * an older one there; its node data, keys and fault files are deleted. Throws RunDirBusyError
 * while any node of the earlier run still runs. Returns undefined when there was no earlier run.
 */
export function retirePreviousRun(runDir: string): RetiredRun | undefined {
  const files = runFiles(runDir);
  const running = runningPids(files.state);
  if (running.length > 0) {
    throw new RunDirBusyError(
      `a testnet is still running in ${runDir} (node pids ${running.slice(0, 4).join(", ")}${running.length > 4 ? ", …" : ""}); stop it with 'relaylab down --run-dir ${runDir}', or use another --run-dir`,
    );
  }
  let retired: RetiredRun | undefined;
  if (existsSync(files.genesis)) {
    rmSync(files.previous, { recursive: true, force: true });
    mkdirSync(files.previous, { recursive: true, mode: 0o700 });
    retired = { genesisHash: createHash("sha256").update(readFileSync(files.genesis)).digest("hex"), movedTo: files.previous };
    for (const name of HISTORY) {
      const from = join(runDir, name);
      if (existsSync(from)) renameSync(from, join(files.previous, name));
    }
  }
  for (const name of NETWORK_STATE) rmSync(join(runDir, name), { recursive: true, force: true });
  return retired;
}

function runningPids(stateFile: string): number[] {
  let state: RunState;
  try {
    state = JSON.parse(readFileSync(stateFile, "utf8")) as RunState;
  } catch {
    return [];
  }
  const nodes: readonly { pid?: number | undefined }[] = Array.isArray(state.nodes) ? state.nodes : [];
  return nodes.map((n) => n.pid).filter((pid): pid is number => alive(pid));
}

/** Creates the folder layout of a run. */
export function prepareRunDir(runDir: string, nodeCount: number): void {
  const files = runFiles(runDir);
  for (const d of [...NETWORK_STATE, "logs"]) mkdirSync(join(runDir, d), { recursive: true, mode: 0o700 });
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
