// SPDX-License-Identifier: Apache-2.0
/**
 * Starts node programs as OS processes and makes sure none outlives the testnet.
 *
 * Children are spawned in their own process group with their output appended to one log file
 * each. Foreground testnets pass RELAYLAB_PARENT_PID so a node exits by itself when the runner
 * vanishes (even by SIGKILL, which no handler here can see); detached ones are left running
 * and found again through the run directory.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { closeSync, openSync } from "node:fs";
import { nodeProgram } from "./node-program.js";

/** How to start one node: the node program's flags and where its output goes. */
export interface NodeLaunch {
  readonly index: number;
  readonly args: readonly string[];
  readonly logFile: string;
}

export interface NodeExit {
  readonly index: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** True when the supervisor itself stopped or killed the node. */
  readonly expected: boolean;
}

/**
 * V8 flags for every node the runner starts: a 2 MiB young-generation semi-space (default 16) and one
 * background platform thread, which trade a little more frequent scavenging for about 24 MiB less RSS
 * per node with the same beacon rate (node/docs/performance.md, section 8).
 */
export const NODE_V8_FLAGS = ["--max-semi-space-size=2", "--v8-pool-size=1"] as const;

/** The argv to run the node program with the current Node.js binary. */
export function nodeCommand(args: readonly string[]): string[] {
  return [process.execPath, ...NODE_V8_FLAGS, ...nodeProgram(), ...args];
}

export class NodeSupervisor extends EventEmitter<{ exit: [NodeExit] }> {
  readonly #children = new Map<number, ChildProcess>();
  readonly #launches = new Map<number, NodeLaunch>();
  readonly #stopping = new Set<number>();
  readonly #detached: boolean;

  constructor(options: { detached: boolean }) {
    super();
    this.#detached = options.detached;
  }

  /** Starts (or restarts) a node; returns its pid. */
  start(launch: NodeLaunch): number {
    if (this.#children.has(launch.index)) throw new Error(`node ${launch.index} is already running`);
    const [cmd, ...argv] = nodeCommand(launch.args);
    const out = openSync(launch.logFile, "a", 0o600);
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (this.#detached) delete env.RELAYLAB_PARENT_PID;
    else env.RELAYLAB_PARENT_PID = String(process.pid);
    let child: ChildProcess;
    try {
      child = spawn(cmd ?? process.execPath, argv, { stdio: ["ignore", out, out], detached: true, env });
    } finally {
      closeSync(out);
    }
    if (child.pid === undefined) throw new Error(`could not start node ${launch.index}`);
    this.#children.set(launch.index, child);
    this.#launches.set(launch.index, launch);
    child.once("exit", (code, signal) => {
      this.#children.delete(launch.index);
      const expected = this.#stopping.delete(launch.index);
      this.emit("exit", { index: launch.index, code, signal, expected });
    });
    if (this.#detached) child.unref();
    return child.pid;
  }

  /** Starts a stopped node again with the flags it last had. */
  restart(index: number): number {
    const launch = this.#launches.get(index);
    if (!launch) throw new Error(`node ${index} was never started`);
    return this.start(launch);
  }

  isRunning(index: number): boolean {
    return this.#children.has(index);
  }

  get running(): number[] {
    return [...this.#children.keys()].sort((a, b) => a - b);
  }

  pid(index: number): number | undefined {
    return this.#children.get(index)?.pid;
  }

  /** Kills a node at once, as a crash would (SIGKILL); resolves when it is gone. */
  async kill(index: number): Promise<void> {
    await this.#terminate(index, "SIGKILL", 0);
  }

  /** Asks a node to stop (SIGTERM), escalating to SIGKILL after `graceMs`. */
  async stop(index: number, graceMs = 5000): Promise<void> {
    await this.#terminate(index, "SIGTERM", graceMs);
  }

  async stopAll(graceMs = 5000): Promise<void> {
    await Promise.all(this.running.map((i) => this.stop(i, graceMs)));
  }

  /** Last resort on the way out of a crashing runner: synchronous, no waiting. */
  killAllNow(): void {
    for (const [index, child] of this.#children) {
      this.#stopping.add(index);
      signalGroup(child, "SIGKILL");
    }
  }

  async #terminate(index: number, signal: NodeJS.Signals, graceMs: number): Promise<void> {
    const child = this.#children.get(index);
    if (!child) return;
    this.#stopping.add(index);
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    signalGroup(child, signal);
    if (signal !== "SIGKILL") {
      const timer = setTimeout(() => signalGroup(child, "SIGKILL"), graceMs);
      await gone;
      clearTimeout(timer);
    } else {
      await gone;
    }
  }
}

/** Signals the child's whole process group, so nothing it spawned is left behind. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  }
}
