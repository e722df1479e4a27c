// SPDX-License-Identifier: Apache-2.0
/**
 * Runs promtool (Debian's `prometheus` package) on the committed rule file: `check rules`
 * (syntax, templates) and `test rules` with the cases of alert-cases.ts.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { alertRuleGroups } from "../src/alerts.js";
import { ALERTS_FILE } from "../src/render.js";
import { promtoolTestFile } from "./alert-cases.js";
import { promtool } from "./promtool.js";

const rules = join(dirname(fileURLToPath(import.meta.url)), "..", "generated", ALERTS_FILE);
let dir = "";

before(() => {
  dir = mkdtempSync(join(tmpdir(), "relaylab-alerts-"));
  copyFileSync(rules, join(dir, ALERTS_FILE));
  writeFileSync(join(dir, "alerts.test.yaml"), stringify(promtoolTestFile(ALERTS_FILE), { lineWidth: 0 }));
});

after(() => rmSync(dir, { recursive: true, force: true }));

test("promtool check rules accepts generated/alerts.yaml", async () => {
  const out = await promtool(dir, "check", "rules", ALERTS_FILE);
  assert.match(out, /SUCCESS: \d+ rules found/);
});

test("promtool test rules: every alert fires when it should and only then", async () => {
  const out = await promtool(dir, "test", "rules", "alerts.test.yaml");
  assert.match(out, /SUCCESS/);
});

test("every alert rule has at least one promtool case", () => {
  const tested = new Set(promtoolTestFile(ALERTS_FILE).tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
  const defined = new Set(alertRuleGroups().flatMap((g) => g.rules.map((r) => r.alert)));
  assert.deepEqual([...defined].filter((a) => !tested.has(a)), []);
});
