// SPDX-License-Identifier: Apache-2.0
// The node's --crypto-backend flag: a bad value is one line on stderr and exit code 2 (before anything is read or
// bound); a good one, or none (default mcl-wasm), is logged at start as one JSON line.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { ProcessCluster } from "./harness/cluster.js";
import { createTestnet, type Testnet } from "./harness/testnet.js";

const NODE_DIR = resolve(import.meta.dirname, "..");

function runMain(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(NODE_DIR, "src/main.ts"), ...args], { cwd: NODE_DIR, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((res) => child.once("close", (code) => res({ code, stderr })));
}

describe("--crypto-backend", () => {
  let net: Testnet | undefined;
  before(async () => {
    net = await createTestnet({ nodes: 2, groups: 1, size: 2 });
  });
  after(() => net?.remove());

  for (const bad of ["openssl", "NOBLE", ""]) {
    it(`refuses '${bad}' with one line and exit code 2`, async () => {
      const r = await runMain(["--genesis", "/nonexistent/genesis.json", "--index", "0", "--data-dir", "/nonexistent/data", "--crypto-backend", bad]);
      assert.equal(r.code, 2, r.stderr);
      const lines = r.stderr.trim().split("\n");
      assert.equal(lines.length, 1, r.stderr);
      assert.equal(lines[0], `relaylab-node: --crypto-backend must be one of noble, mcl-wasm, got '${bad}'`);
    });
  }

  for (const [args, backend] of [[[], "mcl-wasm"], [["--crypto-backend", "noble"], "noble"], [["--crypto-backend", "mcl-wasm"], "mcl-wasm"]] as const) {
    it(`${args.length === 0 ? "without the flag" : args.join(" ")}: logs backend ${backend} at start`, async () => {
      assert.ok(net);
      const cluster = new ProcessCluster(net, { args: () => args });
      try {
        const node = await cluster.start(0);
        const line = node.logs.find((l) => l.includes('"event":"crypto_backend"'));
        assert.ok(line, `no crypto_backend line in ${node.logs.join("\n")}`);
        const parsed = JSON.parse(line) as { backend: string; initSeconds: number };
        assert.equal(parsed.backend, backend);
        assert.ok(parsed.initSeconds >= 0);
      } finally {
        await cluster.stopAll();
      }
    });
  }
});
