// SPDX-License-Identifier: Apache-2.0
/**
 * `bench:operator` on kwok: the real-API-server harness (etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler, kwok) with the chart's CRDs and RBAC, enough fake Nodes
 * for every pod and one DataCenter per zone. The operator runs as its own OS process
 * (`operator/bin/relaylab.js operator`, the chart's ServiceAccount, leader election on), so the
 * memory measured is the operator's alone, read from /proc with the kernel's high-water mark. It
 * runs the compiled JavaScript under `--conditions=production`, as the image does (`tsc -b` first):
 * tsx, which a checkout's CLI loads, would add its own memory to the figure.
 */
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { GROUP, VERSION } from "../../src/api/index.js";
import { freePorts } from "../../src/local/ports.js";
import { parseSamples, scrape } from "../../src/local/scrape.js";
import { ControlPlane, locateBinaries, waitFor } from "../../test/k8s/harness.js";
import { installChart } from "../../test/k8s/harness/chart.js";
import { ManagedProcess } from "../../test/k8s/harness/process.js";
import { httpCall } from "../../test/k8s/harness/rest.js";
import { fakeNodesPerZone, procMemory } from "./measure.js";
import type { BenchTarget } from "./target.js";

const BIN = fileURLToPath(new URL("../../bin/relaylab.js", import.meta.url));
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const OPERATOR = "relaylab-operator";

export async function startKwok(opts: { namespace: string; subnets: number; nodes: number; dataCenters: number; say: (line: string) => void }): Promise<BenchTarget> {
  const lookup = await locateBinaries();
  if ("skip" in lookup) throw new Error(lookup.skip);
  opts.say("compiling (tsc -b)");
  await promisify(execFile)(process.execPath, [TSC, "-b", ROOT]);
  const plane = await ControlPlane.start(lookup.binaries);
  let operator: ManagedProcess | undefined;
  const stop = async (): Promise<void> => {
    await operator?.stop();
    await plane.stop();
  };
  try {
    const identity = await installChart(plane, plane.binaries.helm);
    const perZone = fakeNodesPerZone(opts.subnets, opts.nodes, opts.dataCenters);
    const zones = Array.from({ length: opts.dataCenters }, (_, i) => `zone-${i}`);
    opts.say(`adding ${perZone * opts.dataCenters} kwok Nodes (${perZone} per zone)`);
    await plane.addNodes(zones.flatMap((zone) => Array.from({ length: perZone }, (_, i) => ({ name: `${zone}-${i}`, labels: { "topology.kubernetes.io/zone": zone } }))));
    await plane.admin.create("/api/v1/namespaces", { metadata: { name: opts.namespace } });
    const dataCenters = zones.map((zone, i) => ({ name: `dc-${i}`, zone }));
    for (const dc of dataCenters) {
      await plane.admin.create(`/apis/${GROUP}/${VERSION}/datacenters`, {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: "DataCenter",
        metadata: { name: dc.name },
        spec: { region: "bench", placement: { nodeSelector: { "topology.kubernetes.io/zone": dc.zone } } },
      });
    }

    // The operator process reads KUBECONFIG (client-node's default loading), as outside a cluster.
    const kubeconfig = join(plane.dir, "operator.kubeconfig");
    writeFileSync(kubeconfig, identity.kubeConfig.exportConfig(), { mode: 0o600 });
    process.env.KUBECONFIG = kubeconfig;
    const [port, keyPort] = await freePorts(2);
    const address = `127.0.0.1:${port ?? 0}`;
    const op = new ManagedProcess({
      name: OPERATOR,
      bin: process.execPath,
      args: ["--conditions=production", BIN, "operator", `--listen=${address}`, `--identity-listen=127.0.0.1:${keyPort ?? 0}`, `--namespace=${opts.namespace}`, `--lease-namespace=${identity.namespace}`],
      dir: plane.dir,
    });
    operator = op;
    const alive = (): void => {
      op.assertRunning();
      plane.assertRunning();
    };
    await waitFor("the operator's /readyz", async () => {
      alive();
      return (await httpCall(`http://${address}/readyz`).catch(() => ({ status: 0 }))).status === 200 ? true : undefined;
    });
    // The harness writes each child's pid to <dir>/pids/<name> (for its watchdog).
    const pid = Number(readFileSync(join(plane.dir, "pids", OPERATOR), "utf8"));
    opts.say(`operator pid ${pid} ready on ${address}; log ${op.logFile}`);
    return {
      describe: { on: "kwok", controlPlane: plane.versions, fakeNodes: perZone * opts.dataCenters },
      admin: plane.admin,
      dataCenters: dataCenters.map((d) => d.name),
      subnetSpec: {},
      live: false,
      apiMetrics: async () => parseSamples(await plane.admin.text("/metrics")),
      operatorMetrics: () => scrape(address, 10_000),
      operatorRss: () => Promise.resolve(procMemory(readFileSync(`/proc/${pid}/status`, "utf8"))),
      alive,
      log: () => Promise.resolve(readFileSync(op.logFile, "utf8")),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
