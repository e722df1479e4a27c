// SPDX-License-Identifier: Apache-2.0
/**
 * Runs relaylab nodes as separate OS processes (node --import tsx src/main.ts), exactly as the local
 * runner does, and talks to them over their Public and Control APIs. Children are always killed: on
 * stopAll(), and on process exit if a test forgets.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { NodeClient } from "../../src/client/index.js";
import { FaultSet } from "../../src/gen/relaylab/v1/control.js";
import type { NodeStatus } from "../../src/gen/relaylab/v1/public.js";
import type { Testnet } from "./testnet.js";
import { CALL_DEADLINE_MS, StopWaiting, waitFor } from "./wait.js";

const NODE_DIR = resolve(import.meta.dirname, "../..");
const MAIN = join(NODE_DIR, "src/main.ts");
const live = new Set<ChildProcess>();
const killAll = (): void => {
  for (const child of live) child.kill("SIGKILL");
};
process.on("exit", killAll);
// A test run stopped by a signal skips "exit" handlers: kill the children, then die of the same signal.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAll();
    process.kill(process.pid, signal);
  });
}

/** Log lines kept per node process (about 300 B each). */
const MAX_LOG_LINES = 20_000;

/** Runs the node program to its exit (for flag and start-up refusals); resolves with its exit code and stderr. */
export function runNodeMain(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], { cwd: NODE_DIR, stdio: ["ignore", "ignore", "pipe"] });
  live.add(child);
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((res) => child.once("close", (code) => {
    live.delete(child);
    res({ code, stderr });
  }));
}

export interface NodeProcess {
  readonly index: number;
  readonly child: ChildProcess;
  readonly addresses: { grpc: string; control: string; metrics: string };
  /** Its Public and Control APIs. */
  readonly client: NodeClient;
  /** Exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** The last log lines (stdout and stderr), for failure messages. */
  readonly logs: string[];
}

export interface ClusterOptions {
  /** Extra flags for node `index`, on every start and restart (e.g. its --crypto-backend). */
  readonly args?: (index: number) => readonly string[];
}

export class ProcessCluster {
  private readonly procs = new Map<number, NodeProcess>();

  constructor(
    readonly net: Testnet,
    private readonly options: ClusterOptions = {},
  ) {}

  /** Starts node `index` (with optional initial faults) and resolves once it logged its listening addresses. */
  async start(index: number, faults?: FaultSet): Promise<NodeProcess> {
    const args = ["--import", "tsx", MAIN, "--genesis", this.net.genesisFile, "--index", String(index), "--data-dir", this.net.dataDir(index), "--identity-key-file", this.net.keyFile(index), ...(this.options.args?.(index) ?? [])];
    if (faults) {
      const file = join(this.net.dir, `faults-${index}.json`);
      writeFileSync(file, JSON.stringify(FaultSet.toJSON(faults)));
      args.push("--faults", file);
    }
    const child = spawn(process.execPath, args, { cwd: NODE_DIR, stdio: ["ignore", "pipe", "pipe"] });
    live.add(child);
    const logs: string[] = [];
    const exited = new Promise<number | string>((res) => child.once("exit", (code, signal) => {
      live.delete(child);
      res(code ?? signal ?? "unknown");
    }));
    let addresses: NodeProcess["addresses"] | undefined;
    const keep = (line: string): void => {
      logs.push(line);
      // Tests look for early events (dkg_done) after minutes of beacon lines on a slow machine: keep plenty.
      if (logs.length > MAX_LOG_LINES) logs.shift();
    };
    createInterface({ input: child.stderr }).on("line", keep);
    createInterface({ input: child.stdout }).on("line", (line) => {
      keep(line);
      if (addresses === undefined && line.includes('"event":"listening"')) {
        const parsed = JSON.parse(line) as { grpc: string; control: string; metrics: string };
        addresses = { grpc: parsed.grpc, control: parsed.control, metrics: parsed.metrics };
      }
    });
    let exitedEarly = false;
    void exited.then(() => (exitedEarly = true));
    const bound = await waitFor(`node ${index} to listen`, () => {
      // A node that exited will not listen: say why at once rather than at the deadline.
      if (exitedEarly && addresses === undefined) throw new StopWaiting(new Error(`node ${index} exited: ${logs.slice(-5).join(" | ")}`));
      return addresses;
    }, { timeoutMs: 90_000, intervalMs: 50 });
    const proc: NodeProcess = { index, child, addresses: bound, client: new NodeClient({ public: bound.grpc, control: bound.control, certificate: this.net.genesis.nodes[index]?.certificate }, { deadlineMs: CALL_DEADLINE_MS }), exited, logs };
    this.procs.set(index, proc);
    return proc;
  }

  /** Starts every node of the testnet concurrently. */
  async startAll(faults: ReadonlyMap<number, FaultSet> = new Map()): Promise<NodeProcess[]> {
    // Every start settles before a failure is reported, so the caller's stopAll reaches every node that did start.
    const started = await Promise.allSettled(this.net.genesis.nodes.map((n) => this.start(n.index, faults.get(n.index))));
    const failed = started.find((r) => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    return started.map((r) => (r as PromiseFulfilledResult<NodeProcess>).value);
  }

  node(index: number): NodeProcess {
    const proc = this.procs.get(index);
    if (proc === undefined) throw new Error(`node ${index} is not running`);
    return proc;
  }

  running(): number[] {
    return [...this.procs.keys()].sort((a, b) => a - b);
  }

  status(index: number): Promise<NodeStatus> {
    return this.node(index).client.status();
  }

  /** Kills node `index` with `signal` and waits for it to exit; returns its exit code or signal. */
  async kill(index: number, signal: NodeJS.Signals = "SIGKILL"): Promise<number | string> {
    const proc = this.node(index);
    this.procs.delete(index);
    proc.client.close();
    proc.child.kill(signal);
    return proc.exited;
  }

  /** Waits until every running node has accepted at least `round`. */
  async waitForRound(round: bigint, timeoutMs = 120_000, nodes = this.running()): Promise<void> {
    await waitFor(`round ${round} on nodes ${nodes.join(",")}`, async () => {
      const statuses = await Promise.all(nodes.map((i) => this.status(i)));
      return statuses.every((s) => s.round >= round) ? true : undefined;
    }, { timeoutMs });
  }

  /** SIGTERM to every node, SIGKILL after 10 s; resolves when all have exited. */
  async stopAll(): Promise<void> {
    const procs = [...this.procs.values()];
    this.procs.clear();
    await Promise.all(procs.map(async (p) => {
      p.client.close();
      p.child.kill("SIGTERM");
      const timer = setTimeout(() => p.child.kill("SIGKILL"), 10_000);
      await p.exited;
      clearTimeout(timer);
    }));
  }
}
