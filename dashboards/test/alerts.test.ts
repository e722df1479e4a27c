// SPDX-License-Identifier: Apache-2.0
/**
 * Runs promtool (Debian's `prometheus` package) on the committed rule file: `check rules`
 * (syntax, templates) and `test rules` with the cases of alert-cases.ts.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { alertRuleGroups } from "../src/alerts.js";
import { ALERTS_FILE } from "../src/render.js";
import { promtoolTestFile } from "./alert-cases.js";

const run = promisify(execFile);
const rules = join(dirname(fileURLToPath(import.meta.url)), "..", "generated", ALERTS_FILE);
let dir = "";

async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run("promtool", args, { cwd: dir, timeout: 120_000 });
    return stdout + stderr;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error("promtool not found: install Debian's prometheus package (apt-get install -y prometheus), as .ci/run does", { cause: err });
    }
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(" ")} failed:\n${e.stdout ?? ""}${e.stderr ?? ""}`, { cause: err });
  }
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), "relaylab-alerts-"));
  copyFileSync(rules, join(dir, ALERTS_FILE));
  writeFileSync(join(dir, "alerts.test.yaml"), stringify(promtoolTestFile(ALERTS_FILE), { lineWidth: 0 }));
});

after(() => rmSync(dir, { recursive: true, force: true }));

test("promtool check rules accepts generated/alerts.yaml", async () => {
  const out = await promtool("check", "rules", ALERTS_FILE);
  assert.match(out, /SUCCESS: \d+ rules found/);
});

test("promtool test rules: every alert fires when it should and only then", async () => {
  const out = await promtool("test", "rules", "alerts.test.yaml");
  assert.match(out, /SUCCESS/);
});

test("every alert rule has at least one promtool case", () => {
  const tested = new Set(promtoolTestFile(ALERTS_FILE).tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
  const defined = new Set(alertRuleGroups().flatMap((g) => g.rules.map((r) => r.alert)));
  assert.deepEqual([...defined].filter((a) => !tested.has(a)), []);
});
