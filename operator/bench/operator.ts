/**
 * Operator scale: `npm run bench:operator -- --json FILE [--subnets 50] [--nodes 16]
 * [--datacenters 3] [--hold 30] [--timeout 1800] [--cluster]`.
 *
 * Runs the operator on kwok (operator/kwok.ts: fake Nodes, pods that never run a node, the
 * operator as its own process) or, with `--cluster`, on the real single-node cluster
 * (operator/cluster.ts: real node pods that answer; 4 Subnets of 4 nodes by default, what 2 cores
 * hold). Then it creates `subnets` Subnets of `nodes` nodes at once and measures, until every
 * Subnet's status reports all its nodes ready (and, with live nodes, a round) and `hold` seconds
 * after that:
 * - reconcile latency quantiles per controller, from the operator's own histogram (its /metrics);
 * - per Subnet, the time from its create to a settled status (polled every 250 ms);
 * - the time until all settled;
 * - API requests: the operator's (its APF flow schema) and every write (kube-apiserver's counters);
 * - operator RSS (/proc, every 500 ms, plus the kernel's high-water mark), V8 heap and CPU seconds (its /metrics).
 * Progress goes to stderr; the result to stdout and `--json FILE`. `operatorRssMbPeak` (MB of
 * 10^6 bytes) and `reconcileP99Seconds` (the Subnet controller over the whole run) head the result.
 */
import { loadavg } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { GROUP, VERSION, type Subnet } from "../src/api/index.js";
import { type Sample, total } from "../src/local/scrape.js";
import { summarize } from "@relaylab/node/quantile";
import { startCluster } from "./operator/cluster.js";
import { startKwok } from "./operator/kwok.js";
import { Track, apiWrites, flowSchemaRequests, reconcileErrors, reconcileLatencies } from "./operator/measure.js";
import type { BenchTarget } from "./operator/target.js";
import { benchFlags, numberFlag, writeResult } from "./support.js";

const flags = benchFlags({ subnets: { type: "string" }, nodes: { type: "string" }, datacenters: { type: "string" }, hold: { type: "string" }, timeout: { type: "string" }, cluster: { type: "boolean" } });
const onCluster = flags.values.cluster === true;
const subnetCount = numberFlag(flags, "subnets", onCluster ? 4 : 50);
const nodes = numberFlag(flags, "nodes", onCluster ? 4 : 16);
const dcCount = numberFlag(flags, "datacenters", onCluster ? 2 : 3);
const holdMs = numberFlag(flags, "hold", 30) * 1000;
const timeoutMs = numberFlag(flags, "timeout", 1800) * 1000;

const NS = "bench";
const API = `/apis/${GROUP}/${VERSION}`;
const POLL_MS = 250;
const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
const say = (line: string): void => {
  process.stderr.write(`bench:operator ${line}\n`);
};

let target: BenchTarget | undefined;
let cleaning: Promise<void> | undefined;
/** Stops the operator and whatever it ran on; idempotent. The harness watchdogs cover a hard kill. */
const cleanup = (): Promise<void> => (cleaning ??= target?.stop() ?? Promise.resolve());
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
  const loadAtStart = loadavg();
  const started = performance.now();
  say(`starting ${onCluster ? "the real cluster" : "the control plane and kwok"} (${subnetCount} Subnets x ${nodes} nodes, ${dcCount} DataCenters)`);
  target = onCluster ? await startCluster({ namespace: NS, dataCenters: dcCount, say }) : await startKwok({ namespace: NS, subnets: subnetCount, nodes, dataCenters: dcCount, say });
  const t = target;

  const rss = new Track();
  const heap = new Track();
  let kernelPeakRss = 0;
  const sampleRss = async (): Promise<void> => {
    try {
      const m = await t.operatorRss();
      rss.add(m.rssBytes);
      kernelPeakRss = m.peakRssBytes;
    } catch {
      // The process is gone; alive() reports it.
    }
  };
  let lastMetrics: Sample[] = [];
  const sampleMetrics = async (): Promise<Sample[]> => {
    lastMetrics = await t.operatorMetrics();
    heap.add(total(lastMetrics, "nodejs_heap_size_used_bytes"));
    return lastMetrics;
  };
  const rssTimer = setInterval(() => void sampleRss(), 500);
  const metricsTimer = setInterval(() => void sampleMetrics().catch(() => undefined), 2000);
  try {
    await sleep(3000); // let the DataCenter reconciles and the first scrapes land
    await sampleRss();
    await sampleMetrics();
    const idle = { rssMiB: mib(rss.last), heapUsedMiB: mib(heap.last) };
    const cpu = (samples: readonly Sample[]): number => total(samples, "process_cpu_seconds_total");
    const cpuBefore = cpu(lastMetrics);
    const apiBefore = await t.apiMetrics();

    say(`creating ${subnetCount} Subnets`);
    const createdAt = new Map<string, number>();
    const readyAt = new Map<string, number>();
    const t0 = performance.now();
    for (let i = 0; i < subnetCount; i++) {
      const name = `s${String(i).padStart(3, "0")}`;
      createdAt.set(name, performance.now());
      await t.admin.create(`${API}/namespaces/${NS}/subnets`, {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: "Subnet",
        metadata: { name },
        spec: { nodes, groups: 1, groupSize: nodes, dataCenters: { names: t.dataCenters }, ...t.subnetSpec },
      });
    }
    const settledWhat = t.live ? `${nodes}/${nodes} ready and a round` : `${nodes}/${nodes} ready`;
    say(`created in ${((performance.now() - t0) / 1000).toFixed(1)} s; waiting for every status to report ${settledWhat}`);

    let lastProgress = performance.now();
    const deadline = performance.now() + timeoutMs;
    while (readyAt.size < subnetCount) {
      t.alive();
      if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s: ${readyAt.size}/${subnetCount} Subnets settled`);
      const list = await t.admin.list<Subnet>(`${API}/namespaces/${NS}/subnets`);
      const now = performance.now();
      let readyPods = 0;
      for (const s of list.items) {
        const st = s.status;
        readyPods += st?.readyNodes ?? 0;
        const name = s.metadata.name ?? "";
        const settled = st?.observedGeneration === s.metadata.generation && st?.nodes === nodes && st.readyNodes === nodes && (!t.live || (st.round ?? 0) > 0);
        if (!readyAt.has(name) && settled) readyAt.set(name, now);
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
    const atSettle = { metrics: await sampleMetrics(), api: await t.apiMetrics(), rssMiB: mib(rss.last) };
    await sleep(holdMs);
    t.alive();
    await sampleRss();
    const end = await sampleMetrics();
    const apiEnd = await t.apiMetrics();

    const readySeconds = [...readyAt].map(([name, at]) => (at - (createdAt.get(name) ?? at)) / 1000);
    const writesToSettle = apiWrites(apiBefore, atSettle.api);
    const writesInHold = apiWrites(atSettle.api, apiEnd);
    const applies = (w: typeof writesToSettle): number => w.filter((x) => x.verb === "APPLY").reduce((a, x) => a + x.count, 0);
    const reconcile = { toSettle: reconcileLatencies(atSettle.metrics), wholeRun: reconcileLatencies(end) };
    const peakRssBytes = Math.max(rss.peak, kernelPeakRss);
    const result = {
      bench: "operator",
      operatorRssMbPeak: Math.round(peakRssBytes / 1e5) / 10,
      reconcileP99Seconds: reconcile.wholeRun.subnet.p99,
      ...t.describe,
      subnets: subnetCount,
      nodesPerSubnet: nodes,
      pods: subnetCount * nodes,
      dataCenters: dcCount,
      holdSeconds: holdMs / 1000,
      settleSeconds,
      subnetReadySeconds: summarize(readySeconds),
      reconcile,
      api: {
        // The operator writes children and status by server-side apply; nothing else in this cluster does.
        operatorAppliesToSettle: applies(writesToSettle),
        operatorAppliesInHold: applies(writesInHold),
        // The operator runs as a ServiceAccount outside kube-system: APF's `service-accounts` schema holds its requests.
        operatorRequestsToSettle: flowSchemaRequests(apiBefore, atSettle.api, "service-accounts"),
        operatorRequestsInHold: flowSchemaRequests(atSettle.api, apiEnd, "service-accounts"),
        writesToSettle,
        writesInHold,
      },
      memory: {
        idle,
        peakRssMiB: mib(peakRssBytes),
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
      // Why reconciles failed (the controller logs each failure with its error), counted by message.
      reconcileErrors: reconcileErrors(await t.log()),
      loadAverage: { atStart: loadAtStart, atEnd: loadavg() },
      wallSeconds: (performance.now() - started) / 1000,
    };
    say(
      `settled ${settleSeconds.toFixed(1)} s; ready per Subnet p50 ${result.subnetReadySeconds.p50.toFixed(1)} s p99 ${result.subnetReadySeconds.p99.toFixed(1)} s; ` +
        `subnet reconcile p50 ${reconcile.wholeRun.subnet.p50.toFixed(3)} s p99 ${reconcile.wholeRun.subnet.p99.toFixed(3)} s; ` +
        `RSS peak ${result.memory.peakRssMiB} MiB end ${result.memory.endRssMiB} MiB; operator requests in the hold ${result.api.operatorRequestsInHold}`,
    );
    writeResult(flags, result);
  } catch (e) {
    const tail = await t.log().then((l) => l.trimEnd().split("\n").slice(-20).join("\n"), (err: unknown) => String(err));
    say(`failed; operator log tail:\n${tail}`);
    throw e;
  } finally {
    clearInterval(rssTimer);
    clearInterval(metricsTimer);
  }
}
