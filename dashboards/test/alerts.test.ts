// SPDX-License-Identifier: Apache-2.0
/**
 * Runs promtool (Debian's `prometheus` package) on the committed rule file: `check rules`
 * (syntax, templates) and `test rules` with the cases of alert-cases.ts.
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { alertRuleGroups, RUNBOOKS_URL } from "../src/alerts.js";
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

test("every alert links its runbook, and every runbook in dashboards/runbooks says what the alert means and what to do", () => {
  const runbooks = join(dirname(fileURLToPath(import.meta.url)), "..", "runbooks");
  const alerts = alertRuleGroups().flatMap((g) => g.rules);
  for (const rule of alerts) {
    assert.equal(rule.annotations.runbook_url, `${RUNBOOKS_URL}/${rule.alert}.md`);
    const file = join(runbooks, `${rule.alert}.md`);
    assert.ok(existsSync(file), `${rule.alert} has no runbook dashboards/runbooks/${rule.alert}.md`);
    const text = readFileSync(file, "utf8");
    for (const section of ["# " + rule.alert, "## Meaning", "## Impact", "## Diagnosis", "## Mitigation"]) assert.ok(text.includes(`${section}\n`), `${rule.alert}.md lacks "${section}"`);
  }
  // No runbook for an alert that no longer exists.
  assert.deepEqual(readdirSync(runbooks).filter((f) => !alerts.some((r) => `${r.alert}.md` === f)), []);
});
