// SPDX-License-Identifier: Apache-2.0
/** Runs the real `relaylab` CLI as a child process, as a user or CI would. */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export { alive } from "../../src/local/run-dir.js";

export const CLI = fileURLToPath(new URL("../../bin/relaylab.js", import.meta.url));
export const EXAMPLES = fileURLToPath(new URL("../../examples/", import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** The directory the user runs the command in (default this process's); relative paths and .relaylab/ resolve there. */
  readonly cwd?: string;
}

/** Starts the CLI; the caller owns the process. */
export function startCli(args: readonly string[], options: CliOptions = {}): ChildProcess & { output: { stdout: string; stderr: string } } {
  const cwd = options.cwd ?? process.cwd();
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, INIT_CWD: cwd } });
  const output = { stdout: "", stderr: "" };
  child.stdout.on("data", (d: Buffer) => (output.stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output.stderr += d.toString()));
  return Object.assign(child, { output });
}

/** Waits for a started CLI to exit. */
export function exited(child: ReturnType<typeof startCli>): Promise<CliResult> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve({ code: child.exitCode, ...child.output });
    else child.once("close", (code) => resolve({ code, ...child.output }));
  });
}

/** Runs the CLI to completion. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return exited(startCli(args, options));
}

/** Node pids recorded in a run directory's state file. */
export function statePids(runDir: string): number[] {
  const file = `${runDir}/state.json`;
  if (!existsSync(file)) return [];
  const state = JSON.parse(readFileSync(file, "utf8")) as { nodes: { pid?: number }[] };
  return state.nodes.flatMap((n) => (n.pid === undefined ? [] : [n.pid]));
}
