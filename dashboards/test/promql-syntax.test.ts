// SPDX-License-Identifier: Apache-2.0
/**
 * Every dashboard query parses as PromQL: promtool checks them as recording rules (with Grafana's
 * variables expanded), so a typo fails here rather than as an empty panel.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { stringify } from "yaml";
import { allDashboardQueries } from "../src/expressions.js";
import { expandVariables } from "../src/queries.js";
import { promtool } from "./promtool.js";

test("promtool parses every dashboard query", async (t) => {
  const queries = allDashboardQueries();
  const rules = queries.map((q, i) => ({ record: `relaylab_dashboard_query:${i}`, expr: expandVariables(q.expr, { interval: "1m" }) }));
  const dir = mkdtempSync(join(tmpdir(), "relaylab-promql-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "queries.yaml"), stringify({ groups: [{ name: "dashboard-queries", rules }] }, { lineWidth: 0 }));
  const out = await promtool(dir, "check", "rules", "queries.yaml");
  assert.match(out, new RegExp(`SUCCESS: ${rules.length} rules found`));
});
