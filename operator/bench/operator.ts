// SPDX-License-Identifier: Apache-2.0
/**
 * Operator scale: `npm run bench:operator -- --json FILE [--subnets 50] [--nodes 16]
 * [--datacenters 3] [--hold 30] [--timeout 1800]`.
 *
 * Starts the real-API-server harness (etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler, kwok), installs the chart's CRDs and RBAC, creates enough kwok fake Nodes for
 * every pod and one DataCenter per zone, and runs the operator as its own OS process
 * (`operator/bin/relaylab.js operator`, the chart's ServiceAccount, leader election on) so the
 * memory measured is the operator's alone. Then it creates `subnets` Subnets of `nodes` nodes at
 * once and measures, until every Subnet's status reports all its nodes ready and `hold` seconds
 * after that:
 * - reconcile latency quantiles per controller, from the operator's own histogram (its /metrics);
 * - per Subnet, the time from its create to a status with all nodes ready (polled every 250 ms);
 * - the time until all settled;
 * - API writes: the operator exports no write metric, so kube-apiserver's request counters;
 * - operator RSS (/proc, every 500 ms, plus the kernel's high-water mark), V8 heap and CPU seconds (its /metrics).
 * Progress goes to stderr; the result to stdout and `--json FILE`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { GROUP, VERSION, type Subnet } from "../src/api/index.js";
import { freePorts } from "../src/local/ports.js";
import { type Sample, parseSamples, scrape, total } from "../src/local/scrape.js";
import { summarize } from "@relaylab/node/quantile";
import { ControlPlane, locateBinaries, waitFor } from "../test/k8s/harness.js";
import { installChart } from "../test/k8s/harness/chart.js";
import { ManagedProcess } from "../test/k8s/harness/process.js";
import { httpCall } from "../test/k8s/harness/rest.js";
import { Track, apiWrites, fakeNodesPerZone, flowSchemaRequests, procMemory, reconcileLatencies } from "./operator/measure.js";
import { benchFlags, numberFlag, writeResult } from "./support.js";

const flags = benchFlags({ subnets: { type: "string" }, nodes: { type: "string" }, datacenters: { type: "string" }, hold: { type: "string" }, timeout: { type: "string" } });
const subnetCount = numberFlag(flags, "subnets", 50);
const nodes = numberFlag(flags, "nodes", 16);
const dcCount = numberFlag(flags, "datacenters", 3);
const holdMs = numberFlag(flags, "hold", 30) * 1000;
const timeoutMs = numberFlag(flags, "timeout", 1800) * 1000;

const BIN = fileURLToPath(new URL("../bin/relaylab.js", import.meta.url));
const NS = "bench";
const API = `/apis/${GROUP}/${VERSION}`;
const OPERATOR = "relaylab-operator";
const POLL_MS = 250;
const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
const say = (line: string): void => {
  process.stderr.write(`bench:operator ${line}\n`);
};

let plane: ControlPlane | undefined;
let operator: ManagedProcess | undefined;
let cleaning: Promise<void> | undefined;
/** Stops the operator, then the control plane; idempotent. The harness watchdog covers a hard kill. */
const cleanup = (): Promise<void> =>
  (cleaning ??= (async () => {
    await operator?.stop();
    await plane?.stop();
  })());
const onSignal = (signal: NodeJS.Signals): void => {
  say(`${signal}: stopping the operator and the control plane`);
  void cleanup().finally(() => process.exit(130));
};
process.once("SIGINT", onSignal);
process.once("SIGTERM", onSignal);

try {
  await main();
} finally {
  await cleanup();
}

async function main(): Promise<void> {
  const lookup = await locateBinaries();
  if ("skip" in lookup) throw new Error(lookup.skip);
  const loadAtStart = loadavg();
  const started = performance.now();
  say(`starting the control plane (${subnetCount} Subnets x ${nodes} nodes, ${dcCount} DataCenters)`);
  plane = await ControlPlane.start(lookup.binaries);
  const p = plane;
  const identity = await installChart(p, p.binaries.helm);

  const perZone = fakeNodesPerZone(subnetCount, nodes, dcCount);
  const zones = Array.from({ length: dcCount }, (_, i) => `zone-${i}`);
  say(`adding ${perZone * dcCount} kwok Nodes (${perZone} per zone)`);
  await p.addNodes(zones.flatMap((zone) => Array.from({ length: perZone }, (_, i) => ({ name: `${zone}-${i}`, labels: { "topology.kubernetes.io/zone": zone } }))));
  await p.admin.create("/api/v1/namespaces", { metadata: { name: NS } });
  const dataCenters = zones.map((zone, i) => ({ name: `dc-${i}`, zone }));
  for (const dc of dataCenters) {
    await p.admin.create(`${API}/datacenters`, {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "DataCenter",
      metadata: { name: dc.name },
      spec: { region: "bench", placement: { nodeSelector: { "topology.kubernetes.io/zone": dc.zone } } },
    });
  }

  // The operator process reads KUBECONFIG (client-node's default loading), as outside a cluster.
  const kubeconfig = join(p.dir, "operator.kubeconfig");
  writeFileSync(kubeconfig, identity.kubeConfig.exportConfig(), { mode: 0o600 });
  process.env.KUBECONFIG = kubeconfig;
  const [port, keyPort] = await freePorts(2);
  const address = `127.0.0.1:${port ?? 0}`;
  operator = new ManagedProcess({
    name: OPERATOR,
    bin: process.execPath,
    args: [BIN, "operator", `--listen=${address}`, `--identity-listen=127.0.0.1:${keyPort ?? 0}`, `--namespace=${NS}`, `--lease-namespace=${identity.namespace}`],
    dir: p.dir,
  });
  const op = operator;
  const alive = (): void => {
    op.assertRunning();
    p.assertRunning();
  };
  await waitFor("the operator's /readyz", async () => {
    alive();
    return (await httpCall(`http://${address}/readyz`).catch(() => ({ status: 0 }))).status === 200 ? true : undefined;
  });
  // The harness writes each child's pid to <dir>/pids/<name> (for its watchdog).
  const pid = Number(readFileSync(join(p.dir, "pids", OPERATOR), "utf8"));
  say(`operator pid ${pid} ready on ${address}; log ${op.logFile}`);

  const rss = new Track();
  const heap = new Track();
  let kernelPeakRss = 0;
  const sampleProc = (): void => {
    try {
      const m = procMemory(readFileSync(`/proc/${pid}/status`, "utf8"));
      rss.add(m.rssBytes);
      kernelPeakRss = m.peakRssBytes;
    } catch {
      // The process is gone; alive() reports it.
    }
  };
  let lastMetrics: Sample[] = [];
  const sampleMetrics = async (): Promise<Sample[]> => {
    lastMetrics = await scrape(address, 10_000);
    heap.add(total(lastMetrics, "nodejs_heap_size_used_bytes"));
    return lastMetrics;
  };
  const procTimer = setInterval(sampleProc, 500);
  const metricsTimer = setInterval(() => void sampleMetrics().catch(() => undefined), 2000);
  try {
    await sleep(3000); // let the DataCenter reconciles and the first scrapes land
    sampleProc();
    await sampleMetrics();
    const idle = { rssMiB: mib(rss.last), heapUsedMiB: mib(heap.last) };
    const cpu = (samples: readonly Sample[]): number => total(samples, "process_cpu_seconds_total");
    const cpuBefore = cpu(lastMetrics);
    const apiBefore = parseSamples((await p.raw("/metrics", "text/plain")).body);

    say(`creating ${subnetCount} Subnets`);
    const createdAt = new Map<string, number>();
    const readyAt = new Map<string, number>();
    const t0 = performance.now();
    for (let i = 0; i < subnetCount; i++) {
      const name = `s${String(i).padStart(3, "0")}`;
      createdAt.set(name, performance.now());
      await p.admin.create(`${API}/namespaces/${NS}/subnets`, {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: "Subnet",
        metadata: { name },
        spec: { nodes, groups: 1, groupSize: nodes, dataCenters: { names: dataCenters.map((d) => d.name) } },
      });
    }
    say(`created in ${((performance.now() - t0) / 1000).toFixed(1)} s; waiting for every status to report ${nodes}/${nodes} ready`);

    let lastProgress = performance.now();
    const deadline = performance.now() + timeoutMs;
    while (readyAt.size < subnetCount) {
      alive();
      if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s: ${readyAt.size}/${subnetCount} Subnets settled`);
      const list = await p.admin.list<Subnet>(`${API}/namespaces/${NS}/subnets`);
      const now = performance.now();
      let readyPods = 0;
      for (const s of list.items) {
        const st = s.status;
        readyPods += st?.readyNodes ?? 0;
        const name = s.metadata.name ?? "";
        if (!readyAt.has(name) && st?.observedGeneration === s.metadata.generation && st?.nodes === nodes && st.readyNodes === nodes) readyAt.set(name, now);
      }
      if (now - lastProgress >= 10_000) {
        lastProgress = now;
        say(`${((now - t0) / 1000).toFixed(0)} s: ${readyAt.size}/${subnetCount} Subnets settled, ${readyPods}/${subnetCount * nodes} nodes ready, operator RSS ${mib(rss.last)} MiB, load ${loadavg()[0]?.toFixed(2) ?? "?"}`);
      }
      await sleep(POLL_MS);
    }
    const settledAt = Math.max(...readyAt.values());
    const settleSeconds = (settledAt - t0) / 1000;
    say(`all ${subnetCount} Subnets settled after ${settleSeconds.toFixed(1)} s; holding ${holdMs / 1000} s (status refreshes only)`);
    const atSettle = { metrics: await sampleMetrics(), api: parseSamples((await p.raw("/metrics", "text/plain")).body), rssMiB: mib(rss.last) };
    await sleep(holdMs);
    alive();
    sampleProc();
    const end = await sampleMetrics();
    const apiEnd = parseSamples((await p.raw("/metrics", "text/plain")).body);

    const readySeconds = [...readyAt].map(([name, at]) => (at - (createdAt.get(name) ?? at)) / 1000);
    const writesToSettle = apiWrites(apiBefore, atSettle.api);
    const writesInHold = apiWrites(atSettle.api, apiEnd);
    const applies = (w: typeof writesToSettle): number => w.filter((x) => x.verb === "APPLY").reduce((a, x) => a + x.count, 0);
    const result = {
      bench: "operator",
      subnets: subnetCount,
      nodesPerSubnet: nodes,
      pods: subnetCount * nodes,
      dataCenters: dcCount,
      fakeNodes: perZone * dcCount,
      holdSeconds: holdMs / 1000,
      controlPlane: p.versions,
      settleSeconds,
      subnetReadySeconds: summarize(readySeconds),
      reconcile: { toSettle: reconcileLatencies(atSettle.metrics), wholeRun: reconcileLatencies(end) },
      api: {
        // The operator writes children and status by server-side apply; nothing else in this cluster does.
        operatorAppliesToSettle: applies(writesToSettle),
        operatorAppliesInHold: applies(writesInHold),
        operatorRequestsToSettle: flowSchemaRequests(apiBefore, atSettle.api, "service-accounts"),
        operatorRequestsInHold: flowSchemaRequests(atSettle.api, apiEnd, "service-accounts"),
        writesToSettle,
        writesInHold,
      },
      memory: {
        idle,
        peakRssMiB: mib(Math.max(rss.peak, kernelPeakRss)),
        sampledPeakRssMiB: mib(rss.peak),
        atSettleRssMiB: atSettle.rssMiB,
        endRssMiB: mib(rss.last),
        peakHeapUsedMiB: mib(heap.peak),
        endHeapUsedMiB: mib(heap.last),
        rssSamples: rss.samples,
        heapSamples: heap.samples,
      },
      // CPU seconds the operator process used (its process_cpu_seconds_total), and as a share of one core.
      operatorCpu: {
        secondsToSettle: cpu(atSettle.metrics) - cpuBefore,
        coresToSettle: (cpu(atSettle.metrics) - cpuBefore) / settleSeconds,
        secondsInHold: cpu(end) - cpu(atSettle.metrics),
      },
      loadAverage: { atStart: loadAtStart, atEnd: loadavg() },
      wallSeconds: (performance.now() - started) / 1000,
    };
    say(
      `settled ${settleSeconds.toFixed(1)} s; ready per Subnet p50 ${result.subnetReadySeconds.p50.toFixed(1)} s p99 ${result.subnetReadySeconds.p99.toFixed(1)} s; ` +
        `subnet reconcile p50 ${result.reconcile.wholeRun.subnet.p50.toFixed(3)} s p99 ${result.reconcile.wholeRun.subnet.p99.toFixed(3)} s; ` +
        `RSS peak ${result.memory.peakRssMiB} MiB end ${result.memory.endRssMiB} MiB`,
    );
    writeResult(flags, result);
  } catch (e) {
    say(`failed; operator log tail:\n${op.logTail(20)}`);
    throw e;
  } finally {
    clearInterval(procTimer);
    clearInterval(metricsTimer);
  }
}
