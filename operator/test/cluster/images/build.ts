// SPDX-License-Identifier: Apache-2.0
/**
 * Runs build.sh from a test: the node and operator images as OCI archives, built from the
 * Dockerfiles with buildah (a no-op while the cached archives are current). Shared by the image
 * checks and the end-to-end test, which imports the archives into the real cluster.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type ImageName, packageVersion, repoRoot } from "./checks.js";

const BUILD = join(repoRoot, "operator/test/cluster/images/build.sh");

/** A cold build (debootstrap, npm ci in four stages, tsc) takes 5–10 minutes on 2 busy cores. */
export const BUILD_DEADLINE_MS = 40 * 60_000;

/** Why build.sh cannot run on this host (not root, a tool missing), or `undefined`. */
export function missingBuildPrerequisite(): string | undefined {
  if (process.getuid?.() !== 0) return "not root";
  for (const tool of ["buildah", "debootstrap", "runc"]) {
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    } catch {
      return `${tool} is not installed (apt-get install buildah debootstrap runc)`;
    }
  }
  return undefined;
}

/** The reference build.sh gives an image: the Dockerfile's tag, which `ctr import` keeps. */
export const imageRef = (name: ImageName): string => `ghcr.io/relaylab/${name}:${packageVersion(name)}`;

/** Runs build.sh (its progress lines go to stderr as they come); resolves to the archive of each image reference it printed. */
export async function buildImages(): Promise<Map<string, string>> {
  const child = spawn("bash", [BUILD], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => {
    stderr += s;
    process.stderr.write(s);
  });
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  assert.equal(code, 0, `build.sh failed:\n${stderr.split("\n").slice(-15).join("\n")}`);
  const archives = new Map<string, string>();
  for (const line of stdout.trim().split("\n")) {
    const [ref, archive] = line.split("\t");
    if (ref !== undefined && archive !== undefined) archives.set(ref, archive);
  }
  return archives;
}

/** The archive build.sh wrote for `name`; fails when it printed none or the file is missing. */
export function archiveOf(archives: ReadonlyMap<string, string>, name: ImageName): string {
  const ref = imageRef(name);
  const archive = archives.get(ref);
  assert.ok(archive !== undefined && existsSync(archive), `build.sh printed no archive for ${ref}`);
  return archive;
}
