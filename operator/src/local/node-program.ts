// SPDX-License-Identifier: Apache-2.0
/**
 * The node program as the runner starts it: the compiled JavaScript under `--conditions=production`
 * (the container image); in a checkout, its TypeScript source bundled once per source hash with
 * esbuild, so no node process pays for tsx (about 38 MB RSS and seconds of transpiling each).
 *
 * The bundle lives in `node/.cache/`, one level below the node package, so that the program's
 * `../package.json` and its external dependencies resolve exactly as they do from `node/src/`.
 * Concurrent runners may build the same hash: each writes a temporary file and renames it into
 * place, and rename is atomic, so a reader sees a whole bundle or none.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** argv of `node` before the node program's own flags. */
export type NodeProgram = readonly string[];

const NODE_MAIN = fileURLToPath(import.meta.resolve("@relaylab/node/main"));

let cached: NodeProgram | undefined;

/** The loader flags and entry file to run the node program with (built on first call). */
export function nodeProgram(): NodeProgram {
  cached ??= resolveProgram(NODE_MAIN);
  return cached;
}

export function resolveProgram(main: string): NodeProgram {
  if (!main.endsWith(".ts")) return [main];
  try {
    return [bundle(main)];
  } catch (err) {
    const reason = describe(err);
    process.stderr.write(`relaylab: could not bundle the node program (${reason}); running it through tsx instead\n`);
    return ["--import", import.meta.resolve("tsx"), main];
  }
}

/** One line naming the first compile error and where it is, or the error's first line. */
function describe(err: unknown): string {
  const first = (err as { errors?: { text: string; location: { file: string; line: number } | null }[] }).errors?.[0];
  if (first) return first.location ? `${first.location.file}:${first.location.line}: ${first.text}` : first.text;
  return (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
}

/** Builds (or finds) `node/.cache/main-<hash>.mjs` for the sources under `main`'s directory. */
export function bundle(main: string): string {
  // esbuild is a development dependency, as tsx is: loaded only in a checkout, never in the image.
  const esbuild = createRequire(import.meta.url)("esbuild") as typeof import("esbuild");
  const srcDir = dirname(main);
  const pkgDir = dirname(srcDir);
  const hash = sourceHash(esbuild.version, srcDir, join(pkgDir, "package.json"));
  const cacheDir = join(pkgDir, ".cache");
  const out = join(cacheDir, `main-${hash}.mjs`);
  if (existsSync(out)) return out;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${out}.${process.pid}.${Date.now()}.tmp`;
  try {
    esbuild.buildSync({
      entryPoints: [main],
      outfile: tmp,
      bundle: true,
      platform: "node",
      format: "esm",
      packages: "external",
      logLevel: "silent",
    });
    renameSync(tmp, out);
  } finally {
    rmSync(tmp, { force: true });
  }
  return out;
}

/** A short hash of every source file (path and content), the package manifest and the bundler version. */
function sourceHash(bundler: string, srcDir: string, manifest: string): string {
  const h = createHash("sha256").update(bundler).update(readFileSync(manifest));
  const files = readdirSync(srcDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".test.ts"))
    .map((e) => join(e.parentPath, e.name))
    .sort();
  for (const f of files) h.update(f.slice(srcDir.length)).update("\0").update(readFileSync(f)).update("\0");
  return h.digest("hex").slice(0, 16);
}
