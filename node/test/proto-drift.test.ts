// SPDX-License-Identifier: Apache-2.0
// The committed TypeScript in src/gen must be exactly what `buf generate` makes from proto/.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { after, test } from "node:test";

const NODE_DIR = resolve(import.meta.dirname, "..");
const BUF = resolve(NODE_DIR, "../node_modules/.bin/buf");
const PLUGIN = resolve(NODE_DIR, "../node_modules/.bin/protoc-gen-ts_proto");

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

const out = mkdtempSync(join(tmpdir(), "relaylab-gen-"));
after(() => rmSync(out, { recursive: true, force: true }));

test("src/gen matches the TypeScript generated from proto/", () => {
  // Same plugin options as buf.gen.yaml, but written to a temporary directory.
  const template = readFileSync(join(NODE_DIR, "buf.gen.yaml"), "utf8")
    .replace(/local: .*/, `local: ${PLUGIN}`)
    .replace(/out: .*/, `out: ${out}`);
  const templateFile = join(out, "buf.gen.yaml");
  writeFileSync(templateFile, template);
  execFileSync(BUF, ["generate", "--template", templateFile], { cwd: NODE_DIR, stdio: "pipe" });
  rmSync(templateFile);
  const committed = join(NODE_DIR, "src/gen");
  assert.deepEqual(listFiles(out), listFiles(committed), "generated file list differs: run `npx buf generate` in node/");
  for (const file of listFiles(committed)) {
    assert.equal(readFileSync(join(out, file), "utf8"), readFileSync(join(committed, file), "utf8"), `${file} is stale: run \`npx buf generate\` in node/`);
  }
});
