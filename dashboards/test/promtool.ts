// SPDX-License-Identifier: Apache-2.0
/** Runs promtool (Debian's `prometheus` package) in a directory, with errors that say what to install. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** `promtool …args` in `cwd`; stdout and stderr together. Throws with promtool's output on failure. */
export async function promtool(cwd: string, ...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run("promtool", args, { cwd, timeout: 120_000, maxBuffer: 16 << 20 });
    return stdout + stderr;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error("promtool not found: install Debian's prometheus package (apt-get install -y prometheus), as .ci/run does", { cause: err });
    }
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(" ")} failed:\n${e.stdout ?? ""}${e.stderr ?? ""}`, { cause: err });
  }
}
