// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { KEPT_BUNDLES } from "../../bin/bundle.js";
import { bundle, resolveProgram } from "../../src/local/node-program.js";

/** A package laid out like the node program: src/main.ts reading ../package.json and a sibling module. */
function fakePackage(): { dir: string; main: string } {
  const dir = mkdtempSync(join(tmpdir(), "relaylab-program-"));
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "fake", version: "1.2.3", type: "module" }));
  writeFileSync(join(dir, "src", "greet.ts"), 'export const greet = (n: number): string => `hello ${n}`;\n');
  writeFileSync(
    join(dir, "src", "main.ts"),
    [
      'import { createRequire } from "node:module";',
      'import { greet } from "./greet.js";',
      'const v = (createRequire(import.meta.url)("../package.json") as { version: string }).version;',
      "console.log(greet(2), v);",
    ].join("\n"),
  );
  return { dir, main: join(dir, "src", "main.ts") };
}

test("the node program is bundled once per source hash and runs without tsx, resolving ../package.json", () => {
  const { dir, main } = fakePackage();
  try {
    const first = bundle(main);
    assert.equal(bundle(main), first, "an unchanged source reuses the bundle");
    assert.match(first, /\.cache\/main-[0-9a-f]{16}\.mjs$/);
    assert.equal(execFileSync(process.execPath, [first], { encoding: "utf8" }).trim(), "hello 2 1.2.3");

    writeFileSync(join(dir, "src", "greet.ts"), 'export const greet = (n: number): string => `hi ${n}`;\n');
    const second = bundle(main);
    assert.notEqual(second, first, "a changed source gets a new bundle");
    assert.equal(execFileSync(process.execPath, [second], { encoding: "utf8" }).trim(), "hi 2 1.2.3");
    assert.deepEqual(
      readdirSync(join(dir, ".cache")).filter((f) => f.endsWith(".tmp")),
      [],
      "no temporary file is left behind",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a source that does not compile fails the bundle with the compiler's message", () => {
  const { dir, main } = fakePackage();
  try {
    writeFileSync(join(dir, "src", "greet.ts"), "export const greet = (\n");
    assert.throws(() => bundle(main), /Build failed/);
    assert.deepEqual(readdirSync(join(dir, ".cache")), [], "no partial bundle is left behind");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("when the bundle cannot be built, the program runs through tsx after a one-line warning naming the error", (t) => {
  const { dir, main } = fakePackage();
  const written: string[] = [];
  t.mock.method(process.stderr, "write", (chunk: string) => written.push(chunk));
  try {
    writeFileSync(join(dir, "src", "greet.ts"), "export const greet = (\n");
    const argv = resolveProgram(main);
    assert.equal(argv[0], "--import");
    assert.match(argv[1] ?? "", /tsx/);
    assert.equal(argv[2], main);
    assert.equal(written.length, 1);
    assert.match(written[0] ?? "", /^relaylab: could not bundle the node program \(.*greet\.ts:2: .*\); running it through tsx instead\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a module imported only dynamically is bundled into a chunk of its own, with what only it imports", () => {
  const { dir, main } = fakePackage();
  try {
    writeFileSync(join(dir, "src", "lazy.ts"), 'import { gzipSync } from "node:zlib";\nexport const size = (s: string): number => gzipSync(s).length > 0 ? s.length : 0;\n');
    writeFileSync(join(dir, "src", "main.ts"), 'const lazy = process.argv[2] === "lazy" ? await import("./lazy.js") : undefined;\nconsole.log(lazy?.size("abc") ?? "eager only");\n');
    const entry = bundle(main);
    assert.doesNotMatch(readFileSync(entry, "utf8"), /node:zlib/, "the entry does not load what only the lazy module needs");
    assert.equal(execFileSync(process.execPath, [entry], { encoding: "utf8" }).trim(), "eager only");
    assert.equal(execFileSync(process.execPath, [entry, "lazy"], { encoding: "utf8" }).trim(), "3");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a new bundle retires all but the newest few of its name, chunks included, and the ones kept still run", () => {
  const { dir, main } = fakePackage();
  try {
    writeFileSync(join(dir, "src", "main.ts"), 'const lazy = process.argv[2] === "lazy" ? await import("./greet.js") : undefined;\nconsole.log(lazy?.greet(1) ?? "eager");\n');
    const built: string[] = [];
    for (let i = 0; i < KEPT_BUNDLES + 2; i++) {
      writeFileSync(join(dir, "src", "greet.ts"), `export const greet = (n: number): string => \`build ${i} \${n}\`;\n`);
      built.push(bundle(main));
    }
    const cache = readdirSync(join(dir, ".cache"));
    const stemOf = (entry: string): string => entry.slice(entry.lastIndexOf("/") + 1, -".mjs".length);
    const kept = built.slice(-KEPT_BUNDLES).map(stemOf);
    assert.deepEqual(cache.filter((f) => !f.includes("-chunk-")).sort(), kept.map((s) => `${s}.mjs`).sort(), "only the newest entries are left");
    assert.ok(cache.every((f) => kept.some((s) => f.startsWith(s))), "no chunk of a retired bundle is left");
    assert.ok(cache.some((f) => f.includes("-chunk-")), "the kept bundles have their chunks");
    for (const [i, entry] of built.entries()) if (i >= built.length - KEPT_BUNDLES) assert.equal(execFileSync(process.execPath, [entry, "lazy"], { encoding: "utf8" }).trim(), `build ${i} 1`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
