// SPDX-License-Identifier: Apache-2.0
/**
 * Live check: a real Prometheus (Debian's package) scrapes a real local testnet, loads the
 * generated alert rules, and every dashboard query and alert expression is evaluated against
 * it. A dashboard query must return data (no empty panel, no misspelt metric); an alert
 * expression must evaluate, and every metric it reads must have series.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { OPERATOR_METRICS } from "@relaylab/operator/metrics-names";
import { allAlertExpressions, allDashboardQueries } from "../src/expressions.js";
import { metricNames } from "../src/metric-refs.js";
import { expandVariables } from "../src/queries.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(ROOT, "operator/bin/relaylab.js");
const TOPOLOGY = join(ROOT, "operator/examples/chaos/topology.yaml");
const ALERTS = join(ROOT, "dashboards/generated/alerts.yaml");
/** Dashboards of the nodes; the operator's dashboard and alerts need a running operator, which the real control-plane suite has. */
const NODE_DASHBOARDS = new Set(["relaylab-subnet-overview", "relaylab-datacenter", "relaylab-node"]);
const operatorMetrics = new Set<string>(Object.values(OPERATOR_METRICS));
const nodeAlerts = () => allAlertExpressions().filter((a) => !metricNames(a.expr).some((m) => operatorMetrics.has(m)));

const hasPrometheus = spawnSync("prometheus", ["--version"]).status === 0;
if (!hasPrometheus && process.env.CI === "true") throw new Error("prometheus is not installed; .ci/run installs Debian's prometheus package");

const tmp = mkdtempSync(join(tmpdir(), "relaylab-live-"));
const runDir = join(tmp, "run");
let prometheus: ChildProcess | undefined;
let base = "";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      s.close(() => (addr && typeof addr === "object" ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface QueryResult {
  status: string;
  error?: string;
  data?: { resultType: string; result: unknown[] };
}

async function query(expr: string): Promise<QueryResult> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`, { signal: AbortSignal.timeout(10_000) });
  return (await res.json()) as QueryResult;
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("dashboards and alerts against a real Prometheus scraping a local testnet", { skip: hasPrometheus ? false : "prometheus is not installed (apt-get install prometheus)" }, () => {
  before(async () => {
    const up = cli(["up", "-f", TOPOLOGY, "--detach", "--json", "--run-dir", runDir]);
    assert.equal(up.status, 0, up.stderr);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = join(tmp, "prometheus.yml");
    // The runner's own prometheus.yml, with a faster scrape and the shipped alert rules added.
    const runConfig = readFileSync(join(runDir, "prometheus.yml"), "utf8").replace(/scrape_interval: \S+/, "scrape_interval: 1s").replace(/evaluation_interval: \S+/, "evaluation_interval: 1s").replace("rule_files: []", `rule_files:\n  - ${ALERTS}`);
    writeFileSync(config, runConfig);
    prometheus = spawn("prometheus", [`--config.file=${config}`, `--storage.tsdb.path=${join(tmp, "tsdb")}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: "ignore" });
    // Rates need a few samples: wait until every node's beacon round is being scraped and moving.
    await eventually(async () => {
      const r = await query(`count(rate(relaylab_beacon_round[30s]) > 0)`);
      return r.status === "success" && Number((r.data?.result[0] as { value?: [number, string] } | undefined)?.value?.[1] ?? 0) === 10;
    }, 240_000, "Prometheus to scrape 10 advancing nodes");
  });

  after(() => {
    prometheus?.kill("SIGKILL");
    cli(["down", "--run-dir", runDir]);
  });

  it("loads the alert rules without errors", async () => {
    const res = (await (await fetch(`${base}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
    const rules = res.data.groups.flatMap((g) => g.rules);
    assert.equal(rules.length, allAlertExpressions().length);
    await eventually(async () => {
      const again = (await (await fetch(`${base}/api/v1/rules`)).json()) as typeof res;
      return again.data.groups.flatMap((g) => g.rules).every((r) => r.health === "ok");
    }, 60_000, "every rule to be evaluated healthy");
  });

  it("every node dashboard query returns data", async () => {
    const queries = allDashboardQueries().filter((q) => NODE_DASHBOARDS.has(q.dashboard));
    assert.ok(queries.length > 20, `only ${queries.length} queries found`);
    const empty: string[] = [];
    for (const q of queries) {
      const r = await query(expandVariables(q.expr, { interval: "30s" }));
      assert.equal(r.status, "success", `${q.dashboard} / ${q.panel}: ${r.error ?? ""}`);
      if ((r.data?.result.length ?? 0) === 0) empty.push(`${q.dashboard} / ${q.panel} [${q.refId}]: ${q.expr}`);
    }
    assert.deepEqual(empty, [], `empty panels:\n${empty.join("\n")}`);
  });

  it("every alert expression evaluates and reads metrics that exist", async () => {
    const missing: string[] = [];
    const alerts = nodeAlerts();
    assert.ok(alerts.length >= 4, `only ${alerts.length} node alerts`);
    for (const a of alerts) {
      const r = await query(a.expr);
      assert.equal(r.status, "success", `${a.alert}: ${r.error ?? ""}`);
      for (const name of metricNames(a.expr)) {
        const series = await query(`count({__name__=~"${name}(_bucket|_count|_sum)?"})`);
        if ((series.data?.result.length ?? 0) === 0) missing.push(`${a.alert}: ${name}`);
      }
    }
    assert.deepEqual(missing, [], `alert expressions read metrics with no series:\n${missing.join("\n")}`);
  });
});
