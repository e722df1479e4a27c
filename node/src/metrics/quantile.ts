// SPDX-License-Identifier: Apache-2.0
/**
 * The project's quantiles, defined once: of a sample (the node's Status p50s, the runner's and the
 * load generator's summaries, the chaos baseline gate, the controller's subnet-wide median) and of a
 * Prometheus histogram (read back from a scrape, computed as PromQL's histogram_quantile does, so
 * a figure printed by the runner matches the dashboard's).
 */

/** Quantile `q` (0..1) of an ascending sample by linear interpolation between closest ranks (type 7, numpy's default); 0 for an empty one. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? 0;
  const b = sorted[hi] ?? a;
  return a + (b - a) * (pos - lo);
}

/** Quantile `q` of a sample in any order. */
export function quantileOf(values: readonly number[], q: number): number {
  return quantile([...values].sort((a, b) => a - b), q);
}

/** The median of a sample in any order (0 for an empty one). */
export function median(values: readonly number[]): number {
  return quantileOf(values, 0.5);
}

export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** p50/p90/p99/max of a sample (zeros for an empty one). */
export function summarize(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? 0 };
}

/** Cumulative histogram buckets, ascending by upper bound, the last one +Inf (as Prometheus exposes them). */
export interface CumulativeBuckets {
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
}

/** Quantile by linear interpolation inside the bucket, as PromQL's histogram_quantile does. */
export function histogramQuantile(q: number, h: CumulativeBuckets): number {
  const total = h.buckets.at(-1)?.count ?? 0;
  if (total === 0) return 0;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of h.buckets) {
    if (b.count >= rank) {
      if (b.le === Number.POSITIVE_INFINITY) return prevLe;
      return prevLe + (b.le - prevLe) * ((rank - prevCount) / Math.max(b.count - prevCount, 1e-12));
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}
