// SPDX-License-Identifier: Apache-2.0
/**
 * Bridge from the operator to a working network: the genesis ConfigMap and identity Secret the
 * operator wrote into a real API server start real node processes on this machine (addresses
 * rewritten to 127.0.0.1, since kwok pods run nothing), and beacons flow. This is the check that
 * the operator's output is a network, not just well-formed objects.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parseGenesisJson } from "@relaylab/node/config";
import { GROUP, VERSION } from "../../src/api/index.js";
import { grpcNodes } from "../../src/operator/controller/live.js";
import { genesisConfigMapName, identityKeyName, identitySecretName } from "../../src/resources/names.js";
import { freePorts } from "../../src/local/ports.js";
import { NodeSupervisor } from "../../src/local/supervisor.js";
import { StopWaiting, waitFor } from "./harness.js";
import { installChart } from "./harness/chart.js";
import { OperatorRun } from "./harness/operator.js";
import { k8sSuite } from "./harness/suite.js";

const suite = await k8sSuite();
const ns = "bridge";
const subnet = "gamma";
const NODES = 4;

describe("operator output starts a working network", { skip: suite.skip }, () => {
  let operator: OperatorRun | undefined;
  const plane = suite.controlPlane(async (p) => {
    const identity = await installChart(p, p.binaries.helm);
    await p.addNodes([{ name: "kwok-0" }]);
    await p.admin.create("/api/v1/namespaces", { metadata: { name: ns } });
    await p.admin.create(`/apis/${GROUP}/${VERSION}/datacenters`, { apiVersion: `${GROUP}/${VERSION}`, kind: "DataCenter", metadata: { name: "dc-a" }, spec: {} });
    operator = await OperatorRun.start(identity.kubeConfig, "bridge", { leaderElection: false, namespace: ns });
  });
  const nodes = new NodeSupervisor({ detached: false });
  const status = grpcNodes();
  const dir = mkdtempSync(join(tmpdir(), "relaylab-bridge-"));
  after(async () => {
    await nodes.stopAll();
    status.close();
    await operator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs nodes from the genesis ConfigMap and identity Secret, and they produce beacons", async () => {
    const { admin } = plane();
    await admin.create(`/apis/${GROUP}/${VERSION}/namespaces/${ns}/subnets`, {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "Subnet",
      metadata: { name: subnet },
      spec: { nodes: NODES, groups: 1, groupSize: NODES, dataCenters: { names: ["dc-a"] }, timings: { minRoundPeriodMs: 200 } },
    });
    const cm = await waitFor("the genesis ConfigMap", () => admin.find<{ data: Record<string, string> }>(`/api/v1/namespaces/${ns}/configmaps/${genesisConfigMapName(subnet)}`));
    const secret = await waitFor("the identity Secret", () => admin.find<{ data: Record<string, string> }>(`/api/v1/namespaces/${ns}/secrets/${identitySecretName(subnet)}`));
    const genesis = parseGenesisJson(cm.data["genesis.json"]!);
    assert.equal(genesis.nodes.length, NODES);
    // In the cluster nodes find each other by pod DNS names; here they all run on 127.0.0.1.
    const ports = await freePorts(3 * NODES);
    const local = { ...genesis, nodes: genesis.nodes.map((n) => ({ ...n, address: `127.0.0.1:${ports[n.index]!}` })) };
    const genesisFile = join(dir, "genesis.json");
    writeFileSync(genesisFile, JSON.stringify(local));
    for (const n of local.nodes) {
      const keyFile = join(dir, `node-${n.index}.key`);
      const key = secret.data[identityKeyName(n.index)];
      assert.ok(key, `the identity Secret lacks ${identityKeyName(n.index)}`);
      writeFileSync(keyFile, Buffer.from(key, "base64").toString("utf8"), { mode: 0o600 });
      nodes.start({
        index: n.index,
        logFile: join(dir, `node-${n.index}.log`),
        args: [
          "--genesis", genesisFile, "--index", String(n.index), "--data-dir", join(dir, `data-${n.index}`),
          "--identity-key-file", keyFile, "--listen", n.address,
          "--control-listen", `127.0.0.1:${ports[NODES + n.index]!}`, "--metrics-listen", `127.0.0.1:${ports[2 * NODES + n.index]!}`,
        ],
      });
    }
    const rounds = await waitFor(
      "every node to accept beacon round 3",
      async () => {
        for (const n of local.nodes) {
          if (!nodes.isRunning(n.index)) {
            const log = readFileSync(join(dir, `node-${n.index}.log`), "utf8").split("\n").slice(-20).join("\n");
            throw new StopWaiting(new Error(`node ${n.index} exited; its log ends:\n${log}`));
          }
        }
        const r = await Promise.all(local.nodes.map(async (n) => (await status.status({ address: n.address, certificate: n.certificate })).round));
        return r.every((x) => x >= 3) ? r : undefined;
      },
      { timeoutMs: 240_000 },
    );
    assert.equal(rounds.length, NODES);
  });
});
