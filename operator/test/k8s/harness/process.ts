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

const STOP_GRACE_MS = 20_000;

/** One running binary; `stop()` is idempotent. */
export class ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  readonly #child: ChildProcess;
  readonly #pidFile: string;
  readonly #exited: Promise<void>;
  #exit = "still running";
  #running = true;

  constructor(options: { name: string; bin: string; args: readonly string[]; dir: string; env?: NodeJS.ProcessEnv }) {
    this.name = options.name;
    this.logFile = join(options.dir, "logs", `${options.name}.log`);
    mkdirSync(join(options.dir, "logs"), { recursive: true });
    mkdirSync(join(options.dir, "pids"), { recursive: true });
    const out = openSync(this.logFile, "a", 0o600);
    try {
      this.#child = spawn(options.bin, options.args, { stdio: ["ignore", out, out], env: options.env ?? process.env });
    } finally {
      closeSync(out);
    }
    this.#pidFile = join(options.dir, "pids", options.name);
    if (this.#child.pid !== undefined) writeFileSync(this.#pidFile, String(this.#child.pid));
    this.#exited = new Promise((resolve) => {
      this.#child.once("exit", (code, signal) => {
        this.#running = false;
        this.#exit = signal !== null ? `killed by ${signal}` : `exit code ${code ?? "?"}`;
        rmSync(this.#pidFile, { force: true });
        resolve();
      });
      this.#child.once("error", (err) => {
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
    if (!this.#running) return;
    this.#child.kill("SIGTERM");
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), STOP_GRACE_MS);
    await this.#exited;
    clearTimeout(timer);
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
