// SPDX-License-Identifier: Apache-2.0
/**
 * Pure pieces of `bench:operator`: sizing the fake cluster, reading process memory from
 * /proc/<pid>/status, reconcile latency from the operator's own histogram, and API writes from
 * kube-apiserver's request counter. No I/O here, so test/bench/operator.test.ts covers it.
 */
import { CONTROLLERS, OPERATOR_LABELS, OPERATOR_METRICS, RECONCILE_RESULTS, type ControllerName } from "../../src/metrics/names.js";
import { histogramQuantile } from "@relaylab/node/quantile";
import { type Sample, histogram } from "../../src/local/scrape.js";

/** kwok's fake Nodes admit this many pods (harness addNodes: `pods: "110"`); leave some room. */
export const PODS_PER_FAKE_NODE = 100;

/**
 * Fake Nodes per data-center zone for `subnets` × `nodes` pods spread `Even` over `dataCenters`:
 * the busiest data center gets ⌈nodes / dataCenters⌉ pods of every Subnet.
 */
export function fakeNodesPerZone(subnets: number, nodes: number, dataCenters: number, podsPerNode = PODS_PER_FAKE_NODE): number {
  const busiest = subnets * Math.ceil(nodes / dataCenters);
  return Math.max(1, Math.ceil(busiest / podsPerNode));
}

export interface ProcMemory {
  /** VmRSS: resident now. */
  readonly rssBytes: number;
  /** VmHWM: the kernel's resident high-water mark since the process started. */
  readonly peakRssBytes: number;
}

/** VmRSS and VmHWM of a /proc/<pid>/status text (kB in the file, bytes here). */
export function procMemory(status: string): ProcMemory {
  const kb = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, "m").exec(status);
    if (!m) throw new Error(`no ${field} in /proc status`);
    return Number(m[1]) * 1024;
  };
  return { rssBytes: kb("VmRSS"), peakRssBytes: kb("VmHWM") };
}

export interface ReconcileLatency {
  readonly count: number;
  readonly meanSeconds: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  /** Upper bound of the highest non-empty bucket: the histogram cannot tell the exact maximum. */
  readonly maxAtMost: number;
  /** Reconciles by result (success, requeue, error, terminal). */
  readonly results: Readonly<Record<string, number>>;
}

/** Reconcile latency of one controller from the operator's /metrics (histogram_quantile interpolation). */
export function reconcileLatency(samples: readonly Sample[], controller: ControllerName): ReconcileLatency {
  const mine = samples.filter((s) => s.labels[OPERATOR_LABELS.controller] === controller);
  const h = histogram(mine, OPERATOR_METRICS.reconcileDuration);
  let maxAtMost = 0;
  let below = 0;
  for (const b of h.buckets) {
    if (b.count > below) maxAtMost = b.le;
    below = b.count;
  }
  const results: Record<string, number> = {};
  for (const r of RECONCILE_RESULTS) {
    results[r] = mine.filter((s) => s.name === OPERATOR_METRICS.reconcile && s.labels[OPERATOR_LABELS.result] === r).reduce((a, s) => a + s.value, 0);
  }
  return {
    count: h.count,
    meanSeconds: h.count === 0 ? 0 : h.sum / h.count,
    p50: histogramQuantile(0.5, h),
    p90: histogramQuantile(0.9, h),
    p99: histogramQuantile(0.99, h),
    maxAtMost,
    results,
  };
}

/** reconcileLatency for every controller the operator runs. */
export function reconcileLatencies(samples: readonly Sample[]): Record<ControllerName, ReconcileLatency> {
  return Object.fromEntries(CONTROLLERS.map((c) => [c, reconcileLatency(samples, c)])) as Record<ControllerName, ReconcileLatency>;
}

/** kube-apiserver's verbs that change state; APPLY is server-side apply. */
export const WRITE_VERBS = ["POST", "PUT", "PATCH", "APPLY", "DELETE", "DELETECOLLECTION"] as const;

export interface WriteCount {
  readonly verb: string;
  /** `resource` or `resource/subresource`, with the group for non-core resources (`subnets.relaylab.dev/status`). */
  readonly resource: string;
  readonly count: number;
}

/**
 * Write requests kube-apiserver served between two scrapes of its /metrics
 * (`apiserver_request_total`, summed over codes), by verb and resource, largest first.
 * The counter has no user label: every client's writes are in it.
 */
export function apiWrites(before: readonly Sample[], after: readonly Sample[]): WriteCount[] {
  const key = (s: Sample): string | undefined => {
    if (s.name !== "apiserver_request_total" || !(WRITE_VERBS as readonly string[]).includes(s.labels.verb ?? "")) return undefined;
    const group = s.labels.group ? `.${s.labels.group}` : "";
    const sub = s.labels.subresource ? `/${s.labels.subresource}` : "";
    return `${s.labels.verb ?? ""} ${s.labels.resource ?? ""}${group}${sub}`;
  };
  const delta = new Map<string, number>();
  for (const [sign, samples] of [[-1, before], [1, after]] as const) {
    for (const s of samples) {
      const k = key(s);
      if (k !== undefined) delta.set(k, (delta.get(k) ?? 0) + sign * s.value);
    }
  }
  return [...delta]
    .filter(([, n]) => n > 0)
    .map(([k, count]) => {
      const [verb = "", resource = ""] = k.split(" ");
      return { verb, resource, count };
    })
    .sort((a, b) => b.count - a.count || a.resource.localeCompare(b.resource));
}

/**
 * Requests of one APF flow schema between two scrapes. The operator runs as a ServiceAccount
 * outside kube-system, so the default `service-accounts` schema holds its requests alone here
 * (kube-controller-manager, the scheduler, kwok and the bench itself are system:masters: `exempt`).
 */
export function flowSchemaRequests(before: readonly Sample[], after: readonly Sample[], flowSchema: string): number {
  const sum = (samples: readonly Sample[]): number =>
    samples.filter((s) => s.name === "apiserver_flowcontrol_dispatched_requests_total" && s.labels.flow_schema === flowSchema).reduce((a, s) => a + s.value, 0);
  return sum(after) - sum(before);
}

/** Peak and last of a sampled series (0 for none). */
export class Track {
  peak = 0;
  last = 0;
  samples = 0;

  add(value: number): void {
    this.peak = Math.max(this.peak, value);
    this.last = value;
    this.samples++;
  }
}

/**
 * Reconcile failures in an operator log (JSON lines), counted by controller and error message,
 * most frequent first. The controller logs every failure, retried or terminal, with `err`.
 */
export function reconcileErrors(log: string): { controller: string; err: string; count: number }[] {
  const counts = new Map<string, { controller: string; err: string; count: number }>();
  for (const line of log.split("\n")) {
    let entry: { msg?: unknown; controller?: unknown; err?: unknown };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if (typeof entry.msg !== "string" || !entry.msg.startsWith("reconcile failed")) continue;
    const controller = String(entry.controller);
    const err = String(entry.err);
    const key = `${controller}\0${err}`;
    const seen = counts.get(key) ?? { controller, err, count: 0 };
    seen.count++;
    counts.set(key, seen);
  }
  return [...counts.values()].sort((a, b) => b.count - a.count);
}
