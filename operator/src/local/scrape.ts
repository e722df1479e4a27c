// SPDX-License-Identifier: Apache-2.0
/**
 * Reads nodes' /metrics for the run summary: just enough of the Prometheus text format to pull
 * histograms and counters out of a node's own exposition (which prom-client writes).
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Samples of a text exposition; comments and malformed lines are skipped. */
export function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(LABEL)) labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, "$1");
    const value = Number(m[3]);
    if (!Number.isNaN(value) || m[3] === "NaN") out.push({ name: m[1] as string, labels, value });
  }
  return out;
}

export interface Histogram {
  /** Cumulative counts by upper bound, ascending, ending with +Inf. */
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
  readonly sum: number;
  readonly count: number;
}

/** The histogram `name` summed over every label set in `samples` (buckets added bound by bound). */
export function histogram(samples: readonly Sample[], name: string): Histogram {
  const byLe = new Map<number, number>();
  let sum = 0;
  let count = 0;
  for (const s of samples) {
    if (s.name === `${name}_bucket`) {
      const le = s.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(s.labels.le);
      byLe.set(le, (byLe.get(le) ?? 0) + s.value);
    } else if (s.name === `${name}_sum`) sum += s.value;
    else if (s.name === `${name}_count`) count += s.value;
  }
  const buckets = [...byLe].sort((a, b) => a[0] - b[0]).map(([le, c]) => ({ le, count: c }));
  return { buckets, sum, count };
}

/** Adds histograms with the same bucket bounds. */
export function mergeHistograms(hs: readonly Histogram[]): Histogram {
  const byLe = new Map<number, number>();
  for (const h of hs) for (const b of h.buckets) byLe.set(b.le, (byLe.get(b.le) ?? 0) + b.count);
  return {
    buckets: [...byLe].sort((a, b) => a[0] - b[0]).map(([le, c]) => ({ le, count: c })),
    sum: hs.reduce((a, h) => a + h.sum, 0),
    count: hs.reduce((a, h) => a + h.count, 0),
  };
}

/** Sum of a counter or gauge over every label set. */
export function total(samples: readonly Sample[], name: string): number {
  return samples.filter((s) => s.name === name).reduce((a, s) => a + s.value, 0);
}

/** GET http://address/metrics with a deadline. */
export async function scrape(address: string, timeoutMs = 3000): Promise<Sample[]> {
  const res = await fetch(`http://${address}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET http://${address}/metrics answered ${res.status}`);
  return parseSamples(await res.text());
}
