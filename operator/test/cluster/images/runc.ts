// SPDX-License-Identifier: Apache-2.0
/**
 * Runs one command in an unpacked image the way a restricted Kubernetes pod would: runc with its
 * default namespaces and mounts (own network namespace: loopback only), the root filesystem
 * read-only, a given uid/gid, no capabilities, no new privileges. runc's state lives in a scratch
 * folder, not /run/runc.
 */
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface RunSpec {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

let serial = 0;

/** Runs `spec` in `rootfs`; resolves when the process exits (killed after `timeoutMs`). */
export async function runInRootfs(rootfs: string, spec: RunSpec, timeoutMs = 120_000): Promise<RunResult> {
  const bundle = await mkdtemp(join(tmpdir(), "relaylab-runc-"));
  try {
    await run("runc", ["spec", "--bundle", bundle]);
    const config = JSON.parse(await readFile(join(bundle, "config.json"), "utf8")) as {
      process: Record<string, unknown>;
      root: Record<string, unknown>;
      hostname?: string;
    };
    config.process = {
      ...config.process,
      terminal: false,
      args: spec.args,
      env: spec.env,
      cwd: spec.cwd,
      user: { uid: spec.uid, gid: spec.gid },
      capabilities: { bounding: [], effective: [], permitted: [] },
      noNewPrivileges: true,
    };
    config.root = { path: rootfs, readonly: true };
    config.hostname = "image-check";
    await writeFile(join(bundle, "config.json"), JSON.stringify(config));
    const id = `relaylab-image-check-${String(process.pid)}-${String(serial++)}`;
    const child = spawn("runc", ["--root", join(bundle, "state"), "run", "--bundle", bundle, id], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (c) => resolve(c));
    }).finally(() => clearTimeout(timer));
    // After a timeout the container may outlive the killed runc; remove it (a no-op otherwise).
    await run("runc", ["--root", join(bundle, "state"), "delete", "--force", id]).catch(() => undefined);
    return { code, stdout, stderr };
  } finally {
    await rm(bundle, { recursive: true, force: true });
  }
}
