// SPDX-License-Identifier: Apache-2.0
/**
 * Live check: evaluates every dashboard query against a real Prometheus (one that scrapes a
 * relaylab testnet) and reports the ones that return no series; for alert rules, whose
 * expressions are empty while all is well, it checks that every metric they read has series.
 *
 *   tsx dashboards/src/live-check.ts http://127.0.0.1:9090 [--interval 1m] [--json]
 *
 * Exit status 1 when something is empty. Metrics the node does not export yet show up here, by
 * name, rather than as silent empty panels.
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { allAlertExpressions, allDashboardQueries } from "./expressions.js";
import { metricNames } from "./metric-refs.js";
import { expandVariables } from "./queries.js";

/** One evaluated expression. */
export interface LiveResult {
  /** `<dashboard uid> / <panel> / <refId>` or `alert <name> / <metric>`. */
  readonly where: string;
  readonly expr: string;
  /** Series returned; 0 means an empty panel (or a metric with no series). */
  readonly series: number;
}

/** Evaluates one instant query; the number of series it returns. */
export type InstantQuery = (expr: string) => Promise<number>;

/** An InstantQuery against Prometheus' HTTP API at `baseUrl`. */
export function prometheusQuery(baseUrl: string, fetchFn: typeof fetch = fetch): InstantQuery {
  return async (expr) => {
    const res = await fetchFn(new URL(`/api/v1/query?${new URLSearchParams({ query: expr }).toString()}`, baseUrl));
    const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: unknown } };
    if (body.status !== "success") throw new Error(`Prometheus rejected ${expr}: ${body.error ?? res.statusText}`);
    const result = body.data?.result;
    return Array.isArray(result) ? result.length : 1;
  };
}

/**
 * Every dashboard query (variables expanded: All scopes, `interval` for rate windows), then
 * `count(<metric>)` for each metric an alert rule reads.
 */
export async function liveCheck(query: InstantQuery, interval: string): Promise<LiveResult[]> {
  const results: LiveResult[] = [];
  for (const q of allDashboardQueries()) {
    const expr = expandVariables(q.expr, { interval });
    results.push({ where: `${q.dashboard} / ${q.panel} / ${q.refId}`, expr, series: await query(expr) });
  }
  for (const a of allAlertExpressions()) {
    for (const metric of metricNames(a.expr)) {
      const expr = `count(${metric})`;
      results.push({ where: `alert ${a.alert} / ${metric}`, expr, series: await query(expr) });
    }
  }
  return results;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { interval: { type: "string", default: "1m" }, json: { type: "boolean", default: false } } });
  const [baseUrl] = positionals;
  if (baseUrl === undefined) {
    process.stderr.write("usage: live-check.ts PROMETHEUS_URL [--interval 1m] [--json]\n");
    return 2;
  }
  const results = await liveCheck(prometheusQuery(baseUrl), values.interval);
  const empty = results.filter((r) => r.series === 0);
  if (values.json) process.stdout.write(`${JSON.stringify({ checked: results.length, empty }, null, 2)}\n`);
  else {
    for (const r of empty) process.stdout.write(`EMPTY ${r.where}\n      ${r.expr}\n`);
    process.stdout.write(`${results.length - empty.length}/${results.length} expressions return data\n`);
  }
  return empty.length === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main();
