// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run gen`: writes dashboards/generated/ (dashboards JSON, alert rule file) and the chart
 * files derived from them and from the operator's manifests. Commit the result; drift tests fail
 * when the code and the committed files disagree.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generatedFiles } from "./render.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Replaces the files of `dir` produced by a generator with `files` (stale ones are removed). */
function writeDir(dir: string, files: Map<string, string>, owned: (name: string) => boolean): void {
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) if (owned(name) && !files.has(name)) rmSync(join(dir, name));
  for (const [name, content] of files) writeFileSync(join(dir, name), content);
}

writeDir(join(root, "dashboards", "generated"), generatedFiles(), () => true);
