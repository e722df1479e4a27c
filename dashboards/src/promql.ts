// SPDX-License-Identifier: Apache-2.0
/**
 * Small PromQL builders shared by dashboards and alert rules, so every expression is assembled
 * from metric-name constants and spelled the same way everywhere.
 */

/**
 * Prometheus' own per-target series (not exported by relaylab): `up` is 1 when the last
 * scrape of a target succeeded.
 */
export const PROMETHEUS_SERIES = { up: "up" } as const;

/** Series suffixes Prometheus derives from one histogram name. */
export const HISTOGRAM_SUFFIXES = ["_bucket", "_sum", "_count"] as const;

/** `label="value"`. */
export function eq(label: string, value: string): string {
  return `${label}=${JSON.stringify(value)}`;
}

/** `label!="value"`. */
export function ne(label: string, value: string): string {
  return `${label}!=${JSON.stringify(value)}`;
}

/** `label=~"regex"`. */
export function re(label: string, regex: string): string {
  return `${label}=~${JSON.stringify(regex)}`;
}

/** `label!=""`: the series carries the label. */
export function has(label: string): string {
  return `${label}!=""`;
}

/** `metric{m1,m2}`; no braces when there are no matchers. */
export function sel(metric: string, matchers: readonly string[] = []): string {
  return matchers.length === 0 ? metric : `${metric}{${matchers.join(",")}}`;
}

/** `rate(metric{…}[window])`. */
export function rate(metric: string, matchers: readonly string[], window: string): string {
  return `rate(${sel(metric, matchers)}[${window}])`;
}

/** `increase(metric{…}[window])`. */
export function increase(metric: string, matchers: readonly string[], window: string): string {
  return `increase(${sel(metric, matchers)}[${window}])`;
}

/**
 * Counter growth over `window` that also counts a series born inside the window at its full
 * value: increase() needs two samples, so a labelled counter first exported at 1 (say, the first
 * DKG failure) would otherwise never show. Use with `> 0`, not for exact amounts.
 */
export function growth(metric: string, matchers: readonly string[], window: string): string {
  const s = sel(metric, matchers);
  // New series first: `or` matches label sets without the metric name, so the left side wins.
  return `((${s} unless ${s} offset ${window}) or ${increase(metric, matchers, window)})`;
}

/** `agg by (l1, l2) (expr)`; `agg (expr)` when `by` is empty. */
export function agg(op: "sum" | "max" | "min" | "avg" | "count", by: readonly string[], expr: string): string {
  return by.length === 0 ? `${op}(${expr})` : `${op} by (${by.join(", ")}) (${expr})`;
}

/** The `_bucket` series of a histogram. */
export function bucket(histogram: string): string {
  return `${histogram}_bucket`;
}

/**
 * `histogram_quantile(q, sum by (le, …) (rate(h_bucket{…}[window])))`: a quantile aggregated
 * over every series that shares the `by` labels (histograms aggregate across pods; summaries don't).
 */
export function quantile(q: number, histogram: string, matchers: readonly string[], by: readonly string[], window: string): string {
  return `histogram_quantile(${q}, ${agg("sum", ["le", ...by], rate(bucket(histogram), matchers, window))})`;
}

/** Mean of a histogram over `window`: rate of `_sum` over rate of `_count`, per `by` group. */
export function histogramMean(histogram: string, matchers: readonly string[], by: readonly string[], window: string): string {
  const sum = agg("sum", by, rate(`${histogram}_sum`, matchers, window));
  const count = agg("sum", by, rate(`${histogram}_count`, matchers, window));
  return `${sum} / ${count}`;
}

/**
 * Matcher for the bucket whose upper bound is `le`: Prometheus 2 keeps the exposition's text
 * (`5`), Prometheus 3 normalises it on ingestion (`5.0`), so accept both.
 */
export function leMatcher(le: number): string {
  const text = String(le);
  return re("le", text.includes(".") || text.includes("e") ? text.replaceAll(".", "\\.") : `${text}(\\.0)?`);
}
