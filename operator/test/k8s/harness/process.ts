// SPDX-License-Identifier: Apache-2.0
/**
 * Control-plane processes (etcd, kube-apiserver, …) for the real-API-server suite: each child
 * writes its output to a log file and its pid to `<dir>/pids/<name>`, and a small watchdog shell
 * kills whatever is still listed there when the test process dies without running its after
 * hooks (even by SIGKILL), so no run leaves an apiserver behind.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StopWaiting } from "@relaylab/node/wait";

const STOP_GRACE_MS = 20_000;

/** How to run one binary. */
export interface ProcessSpec {
  readonly name: string;
  readonly bin: string;
  readonly args: readonly string[];
  readonly dir: string;
  /**
   * Start it again when it exits by itself, as the kubelet restarts a static pod. For
   * kube-scheduler and kube-controller-manager, which exit on purpose on some internal errors
   * (e.g. the scheduler on "cache is corrupted" after a lost binding race on a slow API server).
   */
  readonly restartOnExit?: boolean;
}

const RESTART_DELAY_MS = 1000;

/** One running binary; `stop()` is idempotent. */
export class ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  readonly #spec: ProcessSpec;
  readonly #pidFile: string;
  #child!: ChildProcess;
  #exited!: Promise<void>;
  #exit = "still running";
  #running = true;
  #stopping = false;
  /** Times it exited by itself and was started again. */
  restarts = 0;

  constructor(spec: ProcessSpec) {
    this.#spec = spec;
    this.name = spec.name;
    this.logFile = join(spec.dir, "logs", `${spec.name}.log`);
    this.#pidFile = join(spec.dir, "pids", spec.name);
    mkdirSync(join(spec.dir, "logs"), { recursive: true });
    mkdirSync(join(spec.dir, "pids"), { recursive: true });
    this.#spawn();
  }

  #spawn(): void {
    const out = openSync(this.logFile, "a", 0o600);
    try {
      this.#child = spawn(this.#spec.bin, this.#spec.args, { stdio: ["ignore", out, out] });
    } finally {
      closeSync(out);
    }
    this.#running = true;
    const child = this.#child;
    if (child.pid !== undefined) writeFileSync(this.#pidFile, String(child.pid));
    this.#exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.#exit = signal !== null ? `killed by ${signal}` : `exit code ${code ?? "?"}`;
        rmSync(this.#pidFile, { force: true });
        if (this.#spec.restartOnExit === true && !this.#stopping) {
          this.restarts++;
          setTimeout(() => {
            if (!this.#stopping) this.#spawn();
            resolve();
          }, RESTART_DELAY_MS);
          return;
        }
        this.#running = false;
        resolve();
      });
      child.once("error", (err) => {
        this.#running = false;
        this.#exit = `could not start: ${err.message}`;
        resolve();
      });
    });
  }

  get running(): boolean {
    return this.#running;
  }

  /** Fails with the end of the log when the process has exited: for readiness loops. */
  assertRunning(): void {
    if (!this.#running) throw new Error(`${this.name} stopped (${this.#exit}); log ${this.logFile}:\n${this.logTail()}`);
  }

  /** The last lines of this process's output, for error messages. */
  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  /** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (!this.#running) return;
    const child = this.#child;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
    await this.#exited;
    clearTimeout(timer);
    this.#running = false;
  }
}

/**
 * Throws StopWaiting (so a waitFor ends at once) when one of `processes` has stopped: a dead
 * component would otherwise look like a product that does nothing.
 */
export function assertAllRunning(processes: Iterable<ManagedProcess>): void {
  for (const p of processes) {
    try {
      p.assertRunning();
    } catch (e) {
      throw new StopWaiting(e);
    }
  }
}

/**
 * Starts the watchdog for `dir`: once `process.pid` is gone it SIGKILLs every pid listed in
 * `<dir>/pids` and removes `dir`. Returns a function that ends the watchdog (after a clean stop).
 */
export function startWatchdog(dir: string): () => Promise<void> {
  const script = `while kill -0 "$1" 2>/dev/null; do sleep 1; done
for f in "$2"/pids/*; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
rm -rf "$2"`;
  const child = spawn("sh", ["-c", script, "sh", String(process.pid), dir], { stdio: "ignore", detached: true });
  child.unref();
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // Unref'd so it never holds the test process open; ref'd again so its exit can be awaited.
    child.ref();
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;
  };
}
