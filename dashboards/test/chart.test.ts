// SPDX-License-Identifier: Apache-2.0
/**
 * The Helm chart's generated files match the code (dashboards, alert rules, the operator's CRDs
 * and RBAC rules), and the chart, rendered by helm when it is built, installs what it promises.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parse, parseAllDocuments } from "yaml";
import { LABELS } from "@relaylab/node/metrics-names";
import { crdManifests, nodePodContract, operatorRbacRules } from "@relaylab/operator/manifests";
import { alertRuleGroups } from "../src/alerts.js";
import { GENERATED_DIRS, chartFiles } from "../src/chart.js";
import { DASHBOARDS } from "../src/dashboards.js";
import { generatedFiles } from "../src/render.js";

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const chart = join(root, "charts", "relaylab");

describe("chart files generated from code", () => {
  test("charts/relaylab holds exactly the rendered dashboards, alerts, CRDs and RBAC rules", () => {
    const rendered = chartFiles(generatedFiles(), { crds: crdManifests(), rules: operatorRbacRules(), nodePods: nodePodContract() });
    const onDisk = GENERATED_DIRS.flatMap((dir) => readdirSync(join(chart, dir)).map((name) => `${dir}/${name}`));
    assert.deepEqual(onDisk.sort(), [...rendered.keys()].sort(), "run `npm run gen` and commit charts/relaylab");
    for (const [path, content] of rendered) assert.equal(readFileSync(join(chart, path), "utf8"), content, `charts/relaylab/${path} is stale: run \`npm run gen\``);
  });

  test("a CRD is guarded by crd.enabled and kept on uninstall", () => {
    const crd = { metadata: { name: "things.example.dev" }, spec: { names: { plural: "things" }, scope: "Namespaced" as const } };
    const file = chartFiles(new Map(), { crds: [crd], rules: [], nodePods: nodePodContract() }).get("templates/crd/things.yaml") ?? "";
    assert.match(file, /^\{\{- if \.Values\.crd\.enabled \}\}\n/);
    assert.match(file, /\n\{\{- end \}\}\n$/);
    assert.match(file, /helm\.sh\/resource-policy: keep/);
  });

  test("a CRD text that Helm would read as a template is refused", () => {
    const crd = { metadata: { name: "things.example.dev", annotations: { note: "{{ oops }}" } }, spec: { names: { plural: "things" }, scope: "Namespaced" as const } };
    assert.throws(() => chartFiles(new Map(), { crds: [crd], rules: [], nodePods: nodePodContract() }), /contains "\{\{"/);
  });

  test("lease rules go to the release namespace's Role, cluster-scoped CRDs to the ClusterRole, the rest to the workload rules", () => {
    const files = chartFiles(new Map(), {
      crds: [
        { metadata: { name: "racks.example.dev" }, spec: { names: { plural: "racks" }, scope: "Cluster" } },
        { metadata: { name: "things.example.dev" }, spec: { names: { plural: "things" }, scope: "Namespaced" } },
      ],
      rules: [
        { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get"] },
        { apiGroups: [""], resources: ["pods"], verbs: ["list"] },
        { apiGroups: ["example.dev"], resources: ["racks", "racks/status"], verbs: ["patch"] },
        { apiGroups: ["example.dev"], resources: ["things/status"], verbs: ["patch"] },
      ],
      nodePods: nodePodContract(),
    });
    const resources = (file: string) => (parse(files.get(`files/${file}`) ?? "") as { resources: string[] }[] | null ?? []).flatMap((r) => r.resources);
    assert.deepEqual(resources("rbac-namespace-rules.yaml"), ["leases"]);
    assert.deepEqual(resources("rbac-cluster-scoped-rules.yaml"), ["racks", "racks/status"]);
    assert.deepEqual(resources("rbac-workload-rules.yaml"), ["pods", "things/status"]);
  });

  test("the PodMonitor sets the target labels the dashboards and alerts filter on", () => {
    const template = readFileSync(join(chart, "templates", "podmonitor.yaml"), "utf8");
    for (const label of [LABELS.subnet, LABELS.dataCenter, LABELS.node]) assert.match(template, new RegExp(`targetLabel: ${label}\\n`));
  });
});

/** helm from the control-plane build (operator/test/k8s/bin/build.sh), or undefined when not built yet. */
async function helmBinary(): Promise<string | undefined> {
  if (process.env.HELM !== undefined) return process.env.HELM;
  const { stdout } = await run(join(root, "operator", "test", "k8s", "bin", "build.sh"), ["--dir"]).catch((err: unknown) => err as { stdout: string });
  const helm = join(stdout.trim(), "helm");
  return stdout.trim() !== "" && existsSync(helm) ? helm : undefined;
}

interface K8sObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  rules?: unknown[];
}

async function template(helm: string, values: string): Promise<K8sObject[]> {
  const args = ["template", "relaylab", chart, "--namespace", "relaylab"];
  if (values !== "") args.push("--values", join(chart, "ci", values));
  const { stdout } = await run(helm, args, { timeout: 120_000, maxBuffer: 64 << 20 });
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

describe("chart rendered by helm", async () => {
  const helm = await helmBinary();
  // Locally the helm tests wait for the control-plane build; in CI (.ci/run builds helm first) a missing helm is a failure.
  if (helm === undefined && process.env.CI === "true") throw new Error("CI=true and helm is not built: .ci/run builds it with operator/test/k8s/bin/build.sh");
  const skip = helm === undefined ? "helm not built yet: run operator/test/k8s/bin/build.sh" : false;

  test("defaults: CRDs kept, 2 operator replicas with leader election, restricted non-root pods, dashboards", { skip }, async () => {
    const objects = await template(helm ?? "", "");
    const kinds = (k: string): K8sObject[] => objects.filter((o) => o.kind === k);
    assert.deepEqual(kinds("CustomResourceDefinition").map((c) => [c.metadata.name, c.metadata.annotations?.["helm.sh/resource-policy"]]).sort(), crdManifests().map((c) => [c.metadata.name, "keep"]).sort());
    const [deployment] = kinds("Deployment");
    assert.ok(deployment?.spec !== undefined);
    const spec = deployment.spec as { replicas: number; template: { spec: { securityContext: Record<string, unknown>; containers: { args: string[]; securityContext: Record<string, unknown> }[] } } };
    assert.equal(spec.replicas, 2);
    const pod = spec.template.spec;
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.deepEqual(pod.securityContext.seccompProfile, { type: "RuntimeDefault" });
    const [container] = pod.containers;
    assert.ok(container !== undefined);
    assert.ok(!container.args.includes("--no-leader-election"));
    // The operator runs the chart's node image and owns node scraping: one PodMonitor per Subnet, none from the chart.
    assert.ok(container.args.includes("--node-image=ghcr.io/relaylab/node:0.1.0"), container.args.join(" "));
    assert.ok(!container.args.includes("--no-pod-monitors"));
    assert.equal(kinds("PodMonitor").length, 0, "the operator owns the PodMonitors by default");
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(container.securityContext.capabilities, { drop: ["ALL"] });
    const dashboards = kinds("ConfigMap").filter((c) => c.metadata.labels?.grafana_dashboard === "1");
    assert.deepEqual(dashboards.flatMap((c) => Object.keys(c.data ?? {})).sort(), Object.keys(DASHBOARDS).sort());
    assert.equal(kinds("ClusterRole").length, 1);
    assert.equal(kinds("PodDisruptionBudget").length, 1);
    assert.equal(kinds("PrometheusRule").length, 0, "optional Prometheus Operator objects are off by default");
  });

  test("all optional parts on: PrometheusRule equals the generated rules, monitors, network policies", { skip }, async () => {
    const objects = await template(helm ?? "", "all-on-values.yaml");
    const [rule] = objects.filter((o) => o.kind === "PrometheusRule");
    assert.deepEqual(JSON.parse(JSON.stringify(rule?.spec)), { groups: JSON.parse(JSON.stringify(alertRuleGroups())) as unknown });
    assert.equal(objects.filter((o) => o.kind === "ServiceMonitor").length, 1);
    const monitors = objects.filter((o) => o.kind === "PodMonitor");
    const [pm] = monitors;
    assert.ok(pm !== undefined && monitors.length === 1, `${monitors.length} PodMonitors`);
    assert.equal(pm.metadata.labels?.release, "kube-prometheus-stack");
    // podMonitor.owner=chart: the operator is told to build none, so no node is scraped twice.
    const args = (objects.find((o) => o.kind === "Deployment")?.spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec.containers[0]?.args ?? [];
    for (const arg of ["--no-pod-monitors", "--pod-monitor-label=release=kube-prometheus-stack", "--node-image-pull-secret=regcred"]) assert.ok(args.includes(arg), `${arg} in ${args.join(" ")}`);
    // The node pods' labels and port names come from the operator's code (files/node-pods.yaml).
    const contract = nodePodContract();
    const monitor = pm.spec as { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: [{ port: string; relabelings: { sourceLabels: string[] }[] }] };
    assert.deepEqual(monitor.selector.matchLabels, contract.selector);
    const [endpoint] = monitor.podMetricsEndpoints;
    assert.equal(endpoint.port, contract.ports.metrics);
    const sources = endpoint.relabelings.flatMap((r) => r.sourceLabels);
    for (const label of Object.values(contract.labels)) assert.ok(sources.includes(`__meta_kubernetes_pod_label_${label.replace(/[^a-zA-Z0-9_]/g, "_")}`), `the PodMonitor copies ${label}`);
    const policies = objects.filter((o) => o.kind === "NetworkPolicy").map((o) => o.metadata.name);
    // Each Subnet's NetworkPolicy is the operator's; the chart tells it which pods are the operator.
    assert.deepEqual(policies, ["relaylab-operator"]);
    for (const arg of ["--operator-pod-label=app.kubernetes.io/name=relaylab", "--operator-pod-label=app.kubernetes.io/instance=relaylab", "--operator-pod-label=app.kubernetes.io/component=operator"]) assert.ok(args.includes(arg), `${arg} in ${args.join(" ")}`);
    assert.ok(!args.includes("--no-network-policies"));
  });

  test("values.schema.json rejects a bad value with a message naming it", { skip }, async () => {
    await assert.rejects(run(helm ?? "", ["template", "relaylab", chart, "--set", "operator.replicas=-1"]), (err: { stderr?: string }) => /operator\.replicas|replicas/.test(err.stderr ?? "") && /minimum/.test(err.stderr ?? ""));
    await assert.rejects(run(helm ?? "", ["template", "relaylab", chart, "--set", "operatr.replicas=2"]), (err: { stderr?: string }) => /operatr/.test(err.stderr ?? ""));
  });

  test("minimal: no CRDs, one replica without leader election", { skip }, async () => {
    const objects = await template(helm ?? "", "minimal-values.yaml");
    assert.equal(objects.filter((o) => o.kind === "CustomResourceDefinition").length, 0);
    const [deployment] = objects.filter((o) => o.kind === "Deployment");
    const containers = (deployment?.spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec.containers;
    assert.equal(containers[0]?.args.includes("--no-leader-election"), true);
  });
});
