// SPDX-License-Identifier: Apache-2.0
// The node's --crypto-backend flag: a bad value is one line on stderr and exit code 2 (before anything is read or
// bound); a good one, or none (default mcl-wasm), is logged at start as one JSON line.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ProcessCluster, runNodeMain } from "./harness/cluster.js";
import { createTestnet, type Testnet } from "./harness/testnet.js";

describe("--crypto-backend", () => {
  let net: Testnet | undefined;
  before(async () => {
    net = await createTestnet({ nodes: 2, groups: 1, size: 2 });
  });
  after(() => net?.remove());

  for (const bad of ["openssl", "NOBLE", ""]) {
    it(`refuses '${bad}' with one line and exit code 2`, async () => {
      const r = await runNodeMain(["--genesis", "/nonexistent/genesis.json", "--index", "0", "--data-dir", "/nonexistent/data", "--crypto-backend", bad]);
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
