// SPDX-License-Identifier: Apache-2.0
/**
 * What each image must do when run as a pod would run it (runc.ts): its entrypoint answers
 * --version with the workspace's package.json version and --help with exit 0; the node image loads
 * its default crypto backend (mcl-wasm, WebAssembly); the operator image's `relaylab operator
 * --help` loads the operator's modules. Used by build.sh (through verify.ts) before an archive is
 * kept, and by images.test.ts.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ImageConfig } from "./oci-archive.js";
import { runInRootfs, type RunResult } from "./runc.js";

export const IMAGE_NAMES = ["node", "operator"] as const;
export type ImageName = (typeof IMAGE_NAMES)[number];

/** uid/gid the images run as (distroless "nonroot"), as the chart and the operator's pods set. */
export const NONROOT = 65532;

export const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));

/** The `version` of the workspace's package.json, which the image's --version must print. */
export function packageVersion(name: ImageName): string {
  return (JSON.parse(readFileSync(`${repoRoot}${name}/package.json`, "utf8")) as { version: string }).version;
}

export interface Check {
  what: string;
  /** Arguments after the entrypoint, or a whole command line when `replaceEntrypoint`. */
  args: string[];
  replaceEntrypoint?: boolean;
  /** Throws with a message when the result is wrong. */
  expect(result: RunResult): void;
}

function exitsZero(r: RunResult): void {
  if (r.code !== 0) throw new Error(`exit ${String(r.code)}: ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" | ")}`);
}

function printsVersion(name: ImageName): Check {
  const want = packageVersion(name);
  return {
    what: "--version",
    args: ["--version"],
    expect(r) {
      exitsZero(r);
      if (r.stdout.trim() !== want) throw new Error(`printed '${r.stdout.trim()}', want '${want}' (${name}/package.json)`);
    },
  };
}

function printsHelp(args: string[], marker: RegExp): Check {
  return {
    what: args.join(" "),
    args,
    expect(r) {
      exitsZero(r);
      if (!marker.test(r.stdout)) throw new Error(`stdout lacks ${String(marker)}: ${r.stdout.slice(0, 200)}`);
    },
  };
}

/** Node.js in the image initialises the mcl-wasm backend from the compiled code. */
const MCL_PROBE = `const m = await import("/app/node/dist/crypto/backend/index.js");
const c = await m.loadRoundCrypto("mcl-wasm");
process.stdout.write(c.backend);`;

export const CHECKS: Record<ImageName, Check[]> = {
  node: [
    printsVersion("node"),
    printsHelp(["--help"], /--genesis FILE/),
    {
      what: "mcl-wasm backend loads",
      args: ["/nodejs/bin/node", "--conditions=production", "--input-type=module", "-e", MCL_PROBE],
      replaceEntrypoint: true,
      expect(r) {
        exitsZero(r);
        if (r.stdout !== "mcl-wasm") throw new Error(`backend '${r.stdout}', want 'mcl-wasm'`);
      },
    },
  ],
  operator: [printsVersion("operator"), printsHelp(["--help"], /Usage: relaylab/), printsHelp(["operator", "--help"], /Usage: relaylab operator/)],
};

/** Runs one check's command in the unpacked image as uid/gid 65532. */
export function runCheck(rootfs: string, config: ImageConfig, check: Check): Promise<RunResult> {
  return runInRootfs(rootfs, {
    args: check.replaceEntrypoint === true ? check.args : [...config.entrypoint, ...check.args],
    env: config.env,
    cwd: config.workingDir,
    uid: NONROOT,
    gid: NONROOT,
  });
}
