// SPDX-License-Identifier: Apache-2.0
/**
 * `bench:operator --cluster`: the real single-node cluster of the test suite (kubelet, containerd,
 * runc), the images built from our Dockerfiles, and `helm install` of the chart with one operator
 * replica. The node pods run and answer, so the operator does what it does for users: live
 * figures, fault pushes and group labels over gRPC. The operator's memory is read from its
 * container process in /proc (found by its pod's cgroup), with the kernel's high-water mark.
 */
import { readFileSync, readdirSync } from "node:fs";
import { basename } from "node:path";
import { GROUP, VERSION } from "../../src/api/index.js";
import { parseSamples, scrape } from "../../src/local/scrape.js";
import { waitFor } from "@relaylab/node/wait";
import { Cluster, locateClusterBinaries } from "../../test/cluster/harness.js";
import { LEASE, RELEASE_NS, installChart } from "../../test/cluster/harness/chart.js";
import { archiveOf, buildImages } from "../../test/cluster/images/build.js";
import { procMemory } from "./measure.js";
import type { BenchTarget } from "./target.js";

/** Cold image builds and another suite's cluster going first both take minutes on 2 cores. */
const STEP_MS = 10 * 60_000;
/** The operator's health and metrics listener (its --listen default). */
const OPERATOR_METRICS_PORT = 8080;

interface Pod {
  metadata: { name?: string; uid?: string };
  status?: { podIP?: string; phase?: string };
}

/** The host pid of the `node` process of the pod with this uid (runc runs containers as host processes). */
function podProcess(uid: string): number | undefined {
  // The cgroup path holds the pod uid, with "-" as "_" under the systemd driver.
  const marks = [uid, uid.replaceAll("-", "_")];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cgroup = readFileSync(`/proc/${entry}/cgroup`, "utf8");
      // Not by comm: Node.js names its main thread "MainThread".
      const exe = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0")[0] ?? "";
      if (marks.some((m) => cgroup.includes(m)) && basename(exe) === "node") return Number(entry);
    } catch {
      // The process went meanwhile.
    }
  }
  return undefined;
}

export async function startCluster(opts: { namespace: string; dataCenters: number; say: (line: string) => void }): Promise<BenchTarget> {
  const lookup = await locateClusterBinaries();
  if ("skip" in lookup) throw new Error(lookup.skip);
  opts.say("building the images (cached by content)");
  const archives = await buildImages();
  const cluster = await Cluster.start(lookup.binaries, { lockTimeoutMs: STEP_MS });
  const stop = async (): Promise<void> => {
    const report = await cluster.stop();
    if (report.leftovers.length > 0) opts.say(`teardown left ${report.leftovers.length} thing(s): ${report.leftovers.join("; ")}`);
  };
  try {
    await cluster.importImages([archiveOf(archives, "node"), archiveOf(archives, "operator")]);
    await installChart(cluster, ["operator.replicas=1"]);
    const { admin } = cluster;
    const pod = await waitFor(
      "the operator pod to hold the Lease",
      async () => {
        cluster.assertRunning();
        const holder = (await admin.find<{ spec?: { holderIdentity?: string } }>(`/apis/coordination.k8s.io/v1/namespaces/${RELEASE_NS}/leases/${LEASE}`))?.spec?.holderIdentity;
        const pods = (await admin.list<Pod>(`/api/v1/namespaces/${RELEASE_NS}/pods`)).items;
        // A Lease identity is the pod name plus a random suffix.
        return pods.find((p) => p.status?.podIP !== undefined && holder?.startsWith(`${p.metadata.name ?? "?"}-`));
      },
      { timeoutMs: STEP_MS, intervalMs: 1000 },
    );
    const address = `${pod.status?.podIP ?? ""}:${OPERATOR_METRICS_PORT}`;
    const pid = await waitFor("the operator's process on the host", () => Promise.resolve(podProcess(pod.metadata.uid ?? "")), { timeoutMs: STEP_MS });
    opts.say(`operator pod ${pod.metadata.name ?? "?"} leads; metrics at ${address}, host pid ${pid}`);

    await admin.create("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: opts.namespace, labels: { "pod-security.kubernetes.io/enforce": "restricted" } } });
    const dataCenters = Array.from({ length: opts.dataCenters }, (_, i) => `dc-${i}`);
    for (const name of dataCenters) {
      await admin.create(`/apis/${GROUP}/${VERSION}/datacenters`, { apiVersion: `${GROUP}/${VERSION}`, kind: "DataCenter", metadata: { name }, spec: { region: "bench" } });
    }
    return {
      describe: { on: "cluster", kubelet: cluster.versions.kubelet, containerd: cluster.versions.containerd },
      admin,
      dataCenters,
      // The DKG of several groups at once on a loaded 2-core machine can take minutes.
      subnetSpec: { timings: { minRoundPeriodMs: 1000, dkgTimeoutMs: 180_000 } },
      live: true,
      apiMetrics: async () => parseSamples(await admin.text("/metrics")),
      operatorMetrics: () => scrape(address, 10_000),
      operatorRss: () => Promise.resolve(procMemory(readFileSync(`/proc/${pid}/status`, "utf8"))),
      alive: () => cluster.assertRunning(),
      log: () => cluster.podLog(RELEASE_NS, pod.metadata.name ?? ""),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
