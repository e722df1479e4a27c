#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// "#cli" is the compiled dist/cli/main.js under `node --conditions=production` (the container image)
// and src/cli/main.ts otherwise. A checkout runs the TypeScript from a bundle built once per source
// hash (bundle.js), or through tsx when it cannot be built.
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

let entry = import.meta.resolve("#cli");
if (entry.endsWith(".ts")) {
  const { bundleOnce, describeBundleError } = await import("./bundle.js");
  const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
  // The CLI imports the node package's sources (@relaylab/node/*), so their changes make a new bundle too.
  const nodeDir = dirname(dirname(dirname(fileURLToPath(import.meta.resolve("@relaylab/node/config")))));
  try {
    const bundle = bundleOnce({
      name: "cli",
      main: fileURLToPath(entry),
      packageDir,
      sourceDirs: [join(packageDir, "src"), join(nodeDir, "src")],
      manifests: [join(packageDir, "package.json"), join(nodeDir, "package.json")],
    });
    entry = pathToFileURL(bundle).href;
  } catch (err) {
    process.stderr.write(`relaylab: could not bundle the CLI (${describeBundleError(err)}); running it through tsx instead\n`);
    const { register } = await import("tsx/esm/api");
    register();
  }
}
await import(entry);
