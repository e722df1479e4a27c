// SPDX-License-Identifier: Apache-2.0
/**
 * Every metric a dashboard query or an alert expression reads is a name from the contracts
 * (node and operator names.ts), and every node metric is charted somewhere.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { NODE_METRICS, PROCESS_METRICS } from "@relaylab/node/metrics-names";
import { OPERATOR_METRICS } from "@relaylab/operator/metrics-names";
import { allAlertExpressions, allDashboardQueries } from "../src/expressions.js";
import { metricNames } from "../src/metric-refs.js";
import { HISTOGRAM_SUFFIXES, PROMETHEUS_SERIES } from "../src/promql.js";

const CONTRACT = new Set<string>([
  ...Object.values(NODE_METRICS),
  ...Object.values(OPERATOR_METRICS),
  ...Object.values(PROCESS_METRICS),
  ...Object.values(PROMETHEUS_SERIES),
]);

/** The contract name a series name belongs to (a histogram's _bucket/_sum/_count map to it), or undefined. */
function contractName(series: string): string | undefined {
  if (CONTRACT.has(series)) return series;
  const suffix = HISTOGRAM_SUFFIXES.find((s) => series.endsWith(s));
  const base = suffix === undefined ? undefined : series.slice(0, -suffix.length);
  return base !== undefined && CONTRACT.has(base) ? base : undefined;
}

const expressions = [
  ...allDashboardQueries().map((q) => ({ where: `${q.dashboard} / ${q.panel} / ${q.refId}`, expr: q.expr })),
  ...allAlertExpressions().map((a) => ({ where: `alert ${a.alert}`, expr: a.expr })),
];

describe("metricNames (PromQL metric identifiers)", () => {
  test("finds metrics inside functions, aggregations and binary operators", () => {
    assert.deepEqual(metricNames('histogram_quantile(0.99, sum by (le, subnet) (rate(a_seconds_bucket{subnet=~"$subnet"}[$__rate_interval])))'), ["a_seconds_bucket"]);
    assert.deepEqual(metricNames("max by (s) (a) - on (s) group_right max by (s, n) (b)"), ["a", "b"]);
    assert.deepEqual(metricNames("rate(x_total[5m] offset 1h) and on (instance) y or z > bool 1e3"), ["x_total", "y", "z"]);
  });

  test("ignores label names, strings, durations and Grafana variables", () => {
    assert.deepEqual(metricNames('sum without (job) (m{le=~"5(\\\\.0)?", kind="sum by (x) not_a_metric"}[1h30m:1m]) / ${denominator}'), ["m"]);
    assert.deepEqual(metricNames("vector(1)"), []);
  });

  test("refuses what is not PromQL, naming the expression", () => {
    assert.throws(() => metricNames("sum(rate(x[5m])"), /not a PromQL expression .*sum\(rate\(x\[5m\]\)/);
  });
});

describe("dashboards and alerts use only contract metric names", () => {
  test("there is something to check", () => {
    assert.ok(expressions.length > 40, `only ${expressions.length} expressions found`);
  });

  test("every metric in every expression is in names.ts", () => {
    const unknown = expressions.flatMap(({ where, expr }) => metricNames(expr).filter((m) => contractName(m) === undefined).map((m) => `${where}: ${m}`));
    assert.deepEqual(unknown, []);
  });

  test("every expression reads at least one metric", () => {
    assert.deepEqual(expressions.filter(({ expr }) => metricNames(expr).length === 0).map((e) => e.where), []);
  });

  test("every node and operator metric appears on a dashboard", () => {
    const used = new Set(expressions.filter((e) => !e.where.startsWith("alert ")).flatMap(({ expr }) => metricNames(expr).map(contractName)));
    const missing = [...Object.values(NODE_METRICS), ...Object.values(OPERATOR_METRICS)].filter((m) => !used.has(m));
    assert.deepEqual(missing, []);
  });
});
