// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run gen`: writes dashboards/generated/ (dashboards JSON, alert rule file) and the chart
 * files derived from them and from the operator's manifests (CRDs, RBAC rules). Commit the
 * result; drift tests fail when the code and the committed files disagree.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { crdManifests, nodePodContract, operatorRbacRules } from "@relaylab/operator/manifests";
import { GENERATED_DIRS, chartFiles } from "./chart.js";
import { generatedFiles } from "./render.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Writes `files` (relative path → content) under `base`; files in `owned` folders not in `files` are removed. */
function writeTree(base: string, files: ReadonlyMap<string, string>, owned: readonly string[]): void {
  for (const dir of owned) {
    mkdirSync(join(base, dir), { recursive: true });
    for (const name of readdirSync(join(base, dir))) if (!files.has(`${dir}/${name}`.replace(/^\.\//, ""))) rmSync(join(base, dir, name));
  }
  for (const [path, content] of files) {
    mkdirSync(dirname(join(base, path)), { recursive: true });
    writeFileSync(join(base, path), content);
  }
}

const generated = generatedFiles();
writeTree(join(root, "dashboards", "generated"), generated, ["."]);
writeTree(join(root, "charts", "relaylab"), chartFiles(generated, { crds: crdManifests(), rules: operatorRbacRules(), nodePods: nodePodContract() }), GENERATED_DIRS);
