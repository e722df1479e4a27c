// SPDX-License-Identifier: Apache-2.0
/** The committed dashboards/generated/ files are exactly what the code renders today (`npm run gen`). */
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { generatedFiles } from "../src/render.js";

const dir = join(dirname(fileURLToPath(import.meta.url)), "..", "generated");

test("dashboards/generated holds exactly the rendered files", () => {
  const rendered = generatedFiles();
  assert.deepEqual(readdirSync(dir).sort(), [...rendered.keys()].sort(), "run `npm run gen` and commit dashboards/generated");
  for (const [name, content] of rendered) {
    assert.equal(readFileSync(join(dir, name), "utf8"), content, `${name} is stale: run \`npm run gen\` and commit it`);
  }
});
