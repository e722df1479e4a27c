// SPDX-License-Identifier: Apache-2.0
/** The live check's evaluation loop and its Prometheus client, against a stub HTTP API. */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { NODE_METRICS } from "@relaylab/node/metrics-names";
import { allAlertExpressions, allDashboardQueries } from "../src/expressions.js";
import { liveCheck, prometheusQuery } from "../src/live-check.js";

let server: Server;
let base = "";
const seen: string[] = [];

before(async () => {
  // Answers like Prometheus: no series for relaylab_finalized_height, one for anything else.
  server = createServer((req, res) => {
    const query = new URL(req.url ?? "/", "http://x").searchParams.get("query") ?? "";
    seen.push(query);
    const result = query.includes(NODE_METRICS.finalizedHeight) ? [] : [{ metric: {}, value: [0, "1"] }];
    res.setHeader("content-type", "application/json");
    res.end(query.startsWith("bad(") ? JSON.stringify({ status: "error", error: "parse error" }) : JSON.stringify({ status: "success", data: { resultType: "vector", result } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => server.close());

test("liveCheck evaluates every dashboard query with variables expanded and reports the empty ones", async () => {
  const results = await liveCheck(prometheusQuery(base), "2m");
  assert.equal(results.filter((r) => !r.where.startsWith("alert ")).length, allDashboardQueries().length);
  assert.ok(results.length > allDashboardQueries().length + allAlertExpressions().length - 1);
  assert.ok(seen.every((q) => !q.includes("$")), "Grafana variables reached Prometheus");
  assert.ok(seen.some((q) => q.includes("[2m]")));
  const empty = results.filter((r) => r.series === 0).map((r) => r.where);
  // The panels titled for the metric, and the alerts that select it, and nothing else.
  assert.ok(empty.length > 0 && empty.every((w) => w.includes("Finalized height") || w.includes(NODE_METRICS.finalizedHeight)), empty.join("\n"));
});

test("prometheusQuery says which expression Prometheus rejected", async () => {
  await assert.rejects(prometheusQuery(base)("bad(1)"), /Prometheus rejected bad\(1\): parse error/);
});
