// SPDX-License-Identifier: Apache-2.0
// A testnet's genesis names every node's port before the nodes start, so another process can take a port in
// between. A node whose port is taken exits at once with EADDRINUSE, the harness reports it at once (not at its
// 90 s deadline), and the fixtures start the testnet again on fresh ports.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { after, describe, test } from "node:test";
import { ProcessCluster } from "./harness/cluster.js";
import { freePorts, isPortClash } from "./harness/ports.js";
import { createTestnet, type Testnet } from "./harness/testnet.js";

describe("a node whose port was taken before it started", () => {
  let net: Testnet | undefined;
  let squatter: Server | undefined;
  after(async () => {
    await new Promise((r) => (squatter ? squatter.close(r) : r(undefined)));
    net?.remove();
  });

  test("exits with EADDRINUSE, reported at once as a port clash", async () => {
    net = await createTestnet({ nodes: 1, groups: 1, size: 1 });
    const port = Number(net.genesis.nodes[0]!.address.split(":")[1]);
    squatter = await new Promise<Server>((resolve) => {
      const s = createServer();
      s.listen(port, "127.0.0.1", () => resolve(s));
    });
    const cluster = new ProcessCluster(net);
    const started = performance.now();
    const err = await cluster.start(0).then(
      () => assert.fail("the node started on a port another process holds"),
      (e: unknown) => e,
    );
    assert.ok(isPortClash(err), String(err));
    assert.ok(performance.now() - started < 60_000, "reported before the harness's 90 s deadline");
    await cluster.stopAll();
  });

  test("free ports come from below the ephemeral range, distinct and bindable", async () => {
    const ports = await freePorts(16);
    assert.equal(new Set(ports).size, 16);
    for (const p of ports) assert.ok(p >= 20_000 && p < 32_000, `port ${p}`);
  });
});
