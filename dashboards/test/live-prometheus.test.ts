// SPDX-License-Identifier: Apache-2.0
/**
 * Live check: a real Prometheus (Debian's package) scrapes a real local testnet, loads the
 * generated alert rules, and every dashboard query and alert expression is evaluated against
 * it. A dashboard query must return data (no empty panel, no misspelt metric); an alert
 * expression must evaluate, and every metric it reads must have series.
 */
import assert from "node:assert/strict";
import { waitFor } from "@relaylab/node/wait";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { OPERATOR_METRICS } from "@relaylab/operator/metrics-names";
import { allAlertExpressions } from "../src/expressions.js";
import { liveCheck, prometheusQuery } from "../src/live-check.js";
import { metricNames } from "../src/metric-refs.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(ROOT, "operator/bin/relaylab.js");
const TOPOLOGY = join(ROOT, "operator/examples/chaos/topology.yaml");
const ALERTS = join(ROOT, "dashboards/generated/alerts.yaml");
/** Dashboards of the nodes; the operator's dashboard and alerts need a running operator, which the real control-plane suite has. */
const NODE_DASHBOARDS = new Set(["relaylab-subnet-overview", "relaylab-datacenter", "relaylab-node"]);
const operatorMetrics = new Set<string>(Object.values(OPERATOR_METRICS));
const nodeAlerts = () => allAlertExpressions().filter((a) => !metricNames(a.expr).some((m) => operatorMetrics.has(m)));
const nodeAlertNames = new Set(nodeAlerts().map((a) => a.alert));
/** liveCheck names results `<dashboard uid> / …` or `alert <name> / <metric>`. */
const isNodeResult = (where: string) => NODE_DASHBOARDS.has(where.split(" / ")[0] ?? "") || nodeAlertNames.has(/^alert (\S+) \//.exec(where)?.[1] ?? "");

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
    const query = prometheusQuery(base);
    await waitFor("Prometheus to scrape 10 advancing nodes", async () => (await query(`count(rate(relaylab_beacon_round[30s]) > 0) == 10`)) === 1, { timeoutMs: 240_000, intervalMs: 500 });
  });

  after(() => {
    prometheus?.kill("SIGKILL");
    cli(["down", "--run-dir", runDir]);
  });

  it("loads the alert rules without errors", async () => {
    const res = (await (await fetch(`${base}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
    const rules = res.data.groups.flatMap((g) => g.rules);
    assert.equal(rules.length, allAlertExpressions().length);
    await waitFor("every rule to be evaluated healthy", async () => {
      const again = (await (await fetch(`${base}/api/v1/rules`)).json()) as typeof res;
      return again.data.groups.flatMap((g) => g.rules).every((r) => r.health === "ok");
    }, { timeoutMs: 60_000, intervalMs: 500 });
  });

  it("every node dashboard query returns data, and every metric a node alert reads has series", async () => {
    const results = await liveCheck(prometheusQuery(base), "30s");
    const mine = results.filter((r) => isNodeResult(r.where));
    assert.ok(mine.length > 30, `only ${mine.length} node expressions found`);
    const empty = mine.filter((r) => r.series === 0).map((r) => `${r.where}: ${r.expr}`);
    assert.deepEqual(empty, [], `empty:\n${empty.join("\n")}`);
  });

  it("every node alert expression evaluates", async () => {
    const query = prometheusQuery(base);
    for (const a of nodeAlerts()) await assert.doesNotReject(query(a.expr), a.alert);
  });
});
