// SPDX-License-Identifier: Apache-2.0
// The node program's --version prints node/package.json's version and --help the usage, both with exit code 0
// and before any other flag is required (the container image check runs the same two).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
const run = (...args: string[]) => promisify(execFile)(process.execPath, ["--import", "tsx", MAIN, ...args]);

describe("relaylab-node --version and --help", () => {
  it("--version prints the package version", async () => {
    const { stdout } = await run("--version");
    assert.equal(stdout, `${VERSION}\n`);
  });

  for (const flag of ["--help", "-h"]) {
    it(`${flag} prints the usage`, async () => {
      const { stdout } = await run(flag);
      assert.match(stdout, /^usage: relaylab-node --genesis FILE --index N --data-dir DIR/);
      assert.match(stdout, /--crypto-backend noble\|mcl-wasm/);
    });
  }
});
