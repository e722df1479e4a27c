// SPDX-License-Identifier: Apache-2.0
/**
 * The operator's side of the live dashboard check: a real Prometheus scrapes the operator (run
 * as the chart's ServiceAccount, with leader election, reconciling a Subnet on a real API
 * server) and loads the shipped alert rules. Every query of the operator dashboard must return
 * data, every metric an operator alert reads must have series, and every operator alert
 * expression must evaluate. The node dashboards are checked the same way against a local
 * testnet in dashboards/test/live-prometheus.test.ts.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { allAlertExpressions } from "@relaylab/dashboards/expressions";
import { liveCheck, prometheusQuery } from "@relaylab/dashboards/live-check";
import { metricNames } from "@relaylab/dashboards/metric-refs";
import { GROUP, VERSION } from "../../src/api/index.js";
import { OPERATOR_METRICS } from "../../src/metrics/names.js";
import { freePorts } from "../../src/local/ports.js";
import { waitFor } from "./harness.js";
import { type OperatorIdentity, installChart } from "./harness/chart.js";
import { OperatorRun } from "./harness/operator.js";
import { k8sSuite } from "./harness/suite.js";

const suite = await k8sSuite();
const hasPrometheus = spawnSync("prometheus", ["--version"]).status === 0;
if (!hasPrometheus && process.env.CI === "true") throw new Error("prometheus is not installed; .ci/run installs Debian's prometheus package");
const skip = suite.skip || (hasPrometheus ? false : "prometheus is not installed (apt-get install prometheus)");

const ALERTS = fileURLToPath(new URL("../../../dashboards/generated/alerts.yaml", import.meta.url));
const OPERATOR_DASHBOARD = "relaylab-operator";
const ns = "metrics";
const api = `/apis/${GROUP}/${VERSION}`;
const operatorMetrics = new Set<string>(Object.values(OPERATOR_METRICS));
const operatorAlerts = () => allAlertExpressions().filter((a) => metricNames(a.expr).some((m) => operatorMetrics.has(m)));

describe("operator dashboard and alerts against a real Prometheus scraping the operator", { skip }, () => {
  let identity: OperatorIdentity;
  const plane = suite.controlPlane(async (p) => {
    identity = await installChart(p, p.binaries.helm);
    await p.admin.create("/api/v1/namespaces", { metadata: { name: ns } });
    await p.admin.create(`${api}/datacenters`, { apiVersion: `${GROUP}/${VERSION}`, kind: "DataCenter", metadata: { name: "dc-m" }, spec: {} });
    await p.admin.create(`${api}/namespaces/${ns}/subnets`, {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "Subnet",
      metadata: { name: "watched" },
      spec: { nodes: 4, groups: 1, groupSize: 4, dataCenters: { names: ["dc-m"] } },
    });
  });
  let operator: OperatorRun | undefined;
  let prometheus: ChildProcess | undefined;
  let base = "";

  before(async () => {
    if (skip !== false) return;
    operator = await OperatorRun.start(identity.kubeConfig, "op-metrics", { leaseNamespace: identity.namespace, namespace: ns });
    await operator.ready();
    await waitFor("the operator to reconcile the Subnet", async () => ((await plane().admin.get<{ status?: { observedGeneration?: number } }>(`${api}/namespaces/${ns}/subnets/watched`)).status?.observedGeneration ? true : undefined), { timeoutMs: 120_000 });
    const [port] = await freePorts(1);
    base = `http://127.0.0.1:${port}`;
    const dir = mkdtempSync(join(tmpdir(), "relaylab-operator-prometheus-"));
    const config = join(dir, "prometheus.yml");
    writeFileSync(
      config,
      [
        "global: { scrape_interval: 1s, evaluation_interval: 1s }",
        `rule_files: [${JSON.stringify(ALERTS)}]`,
        "scrape_configs:",
        "  - job_name: relaylab-operator",
        `    static_configs: [{ targets: [${JSON.stringify(operator.metricsAddress)}] }]`,
        "",
      ].join("\n"),
    );
    prometheus = spawn("prometheus", [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, "tsdb")}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: "ignore" });
    const query = prometheusQuery(base);
    // Rates need two samples in their window: wait until the reconcile counter has a rate.
    await waitFor("Prometheus to have a rate of the operator's reconciles", async () => ((await query(`rate(${OPERATOR_METRICS.reconcile}[30s])`).catch(() => 0)) > 0 ? true : undefined), { timeoutMs: 120_000 });
  });

  after(async () => {
    prometheus?.kill("SIGKILL");
    await operator?.stop();
  });

  it("every operator dashboard query returns data, and every metric an operator alert reads has series", async () => {
    const alertNames = new Set(operatorAlerts().map((a) => a.alert));
    // Only the operator is scraped here: an operator alert's node metrics (RelaylabOperatorAbsent reads
    // whether node pods are scraped) have data in the real-cluster e2e test, which scrapes both.
    const operatorMetric = (expr: string): boolean => Object.values(OPERATOR_METRICS).some((m) => expr.includes(m));
    const results = (await liveCheck(prometheusQuery(base), "30s")).filter(
      (r) => r.where.startsWith(`${OPERATOR_DASHBOARD} / `) || (alertNames.has(/^alert (\S+) \//.exec(r.where)?.[1] ?? "") && operatorMetric(r.expr)),
    );
    assert.ok(results.length > 5, `only ${results.length} operator expressions found`);
    const empty = results.filter((r) => r.series === 0).map((r) => `${r.where}: ${r.expr}`);
    assert.deepEqual(empty, [], `empty:\n${empty.join("\n")}`);
  });

  it("every operator alert expression evaluates", async () => {
    const alerts = operatorAlerts();
    assert.ok(alerts.length >= 2);
    const query = prometheusQuery(base);
    for (const a of alerts) await assert.doesNotReject(query(a.expr), a.alert);
  });
});
