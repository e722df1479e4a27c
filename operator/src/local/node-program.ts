// SPDX-License-Identifier: Apache-2.0
/**
 * The node program as the runner starts it: the compiled JavaScript under `--conditions=production`
 * (the container image); in a checkout, its TypeScript source bundled once per source hash
 * (bin/bundle.js) with its dependencies, so no node process pays for tsx (about 38 MB RSS and seconds of
 * transpiling each) or for resolving and reading hundreds of module files.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleOnce, describeBundleError } from "../../bin/bundle.js";

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
    process.stderr.write(`relaylab: could not bundle the node program (${describeBundleError(err)}); running it through tsx instead\n`);
    return ["--import", import.meta.resolve("tsx"), main];
  }
}

/** Builds (or finds) `node/.cache/main-<hash>.mjs` for the sources under `main`'s directory. */
export function bundle(main: string): string {
  const srcDir = dirname(main);
  const packageDir = dirname(srcDir);
  // mcl-wasm stays external: the crypto backend reaches into its Emscripten module by path, which must be the
  // same instance as the package's.
  return bundleOnce({ name: "main", main, packageDir, sourceDirs: [srcDir], manifests: [join(packageDir, "package.json")], bundleDependencies: { except: ["mcl-wasm"] } });
}
