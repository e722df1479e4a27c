// SPDX-License-Identifier: Apache-2.0
/**
 * Extracts the metric names a PromQL expression reads, with Prometheus's own PromQL grammar
 * (@prometheus-io/lezer-promql): a metric is the identifier of a vector selector, so label names,
 * strings, durations, function names and keywords can never be mistaken for one.
 */
import { parser } from "@prometheus-io/lezer-promql";

/**
 * Grafana variables (`$__rate_interval`, `${denominator}`, `$subnet`) are not PromQL. Each is read
 * as the duration `1m`, which PromQL accepts both in a range and as a number; in a string it is
 * ignored anyway.
 */
const GRAFANA_VARIABLE = /\$\{\w+(?::\w+)?\}|\$\w+/g;

/** Metric names referenced by `expr`, in order of first appearance; throws, naming the position, when `expr` is not PromQL. */
export function metricNames(expr: string): string[] {
  const source = expr.replace(GRAFANA_VARIABLE, "1m");
  const names: string[] = [];
  const cursor = parser.parse(source).cursor();
  do {
    if (cursor.type.isError) throw new Error(`not a PromQL expression (syntax error at offset ${cursor.from}): ${expr}`);
    if (cursor.name === "Identifier" && cursor.node.parent?.name === "VectorSelector") {
      const name = source.slice(cursor.from, cursor.to);
      if (!names.includes(name)) names.push(name);
    }
  } while (cursor.next());
  return names;
}
