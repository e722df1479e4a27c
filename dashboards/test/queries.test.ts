// SPDX-License-Identifier: Apache-2.0
/** The query export a live check relies on: every panel's expressions, Grafana variables expanded. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { allDashboardQueries } from "../src/expressions.js";
import { metricNames } from "../src/metric-refs.js";
import { dashboardQueries, expandVariables } from "../src/queries.js";

test("dashboardQueries finds targets inside rows and label_values selectors of variables", () => {
  const json = {
    uid: "d",
    templating: { list: [{ name: "subnet", query: "label_values(info{a=~\"$a\"}, subnet)" }, { name: "datasource", query: "prometheus" }] },
    panels: [
      { id: 1, title: "top", targets: [{ refId: "A", expr: "x" }] },
      { id: 2, type: "row", title: "row", panels: [{ id: 3, title: "inner", targets: [{ refId: "B", expr: "y" }] }] },
    ],
  };
  assert.deepEqual(dashboardQueries(json), [
    { dashboard: "d", panel: "variable subnet", panelId: null, refId: "query", expr: 'info{a=~"$a"}' },
    { dashboard: "d", panel: "top", panelId: 1, refId: "A", expr: "x" },
    { dashboard: "d", panel: "inner", panelId: 3, refId: "B", expr: "y" },
  ]);
});

test("expandVariables leaves plain PromQL: intervals and scope regexes substituted", () => {
  const expr = 'sum(rate(m{subnet=~"$subnet",node=~"${node}"}[$__rate_interval]))';
  assert.equal(expandVariables(expr, { interval: "1m" }), 'sum(rate(m{subnet=~".*",node=~".*"}[1m]))');
  assert.equal(expandVariables(expr, { interval: "30s", scope: { subnet: "demo" } }), 'sum(rate(m{subnet=~"demo",node=~".*"}[30s]))');
});

test("every panel of every dashboard has an id, a refId and an expression without leftover variables once expanded", () => {
  const queries = allDashboardQueries().filter((q) => q.panelId !== null);
  assert.ok(queries.length > 0);
  for (const q of queries) {
    assert.ok(q.refId !== "" && q.expr !== "", `${q.dashboard} / ${q.panel}`);
    const expanded = expandVariables(q.expr, { interval: "1m" });
    assert.doesNotMatch(expanded, /\$/, `${q.dashboard} / ${q.panel}: ${expanded}`);
    assert.deepEqual(metricNames(expanded), metricNames(q.expr));
  }
  const ids = queries.map((q) => `${q.dashboard}#${q.panelId ?? ""}#${q.refId}`);
  assert.equal(new Set(ids).size, ids.length, "panel id + refId must identify a query");
});
