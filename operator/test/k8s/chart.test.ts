// SPDX-License-Identifier: Apache-2.0
/**
 * The Helm chart and the pods it leads to, against a real API server with the Prometheus
 * Operator's CRDs installed (built from its Go module by bin/build.sh):
 * - every object the chart renders with all its parts on is accepted (server-side dry run), so a
 *   field the API server rejects, a wrong apiVersion or a ServiceMonitor the CRD's schema refuses
 *   fails here rather than at `helm install`;
 * - the operator's pods and the node pods it creates pass the `restricted` Pod Security Standard,
 *   enforced by the API server's own PodSecurity admission;
 * - with monitoring.coreos.com served, the operator creates a PodMonitor per Subnet under the
 *   chart's RBAC;
 * - node data on PersistentVolumeClaims (static volumes; no provisioner runs here) is bound, and
 *   deleted with a removed node and with the Subnet.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { GROUP, VERSION, type Subnet } from "../../src/api/index.js";
import { LABEL_POD_INDEX, LABEL_SUBNET, statefulSetName } from "../../src/resources/names.js";
import { ApiError, type KubeObject, type Rest, waitFor } from "./harness.js";
import { installChart, renderChart } from "./harness/chart.js";
import { installCrds } from "./harness/crds.js";
import { OperatorRun } from "./harness/operator.js";
import { k8sSuite } from "./harness/suite.js";

const suite = await k8sSuite();
const RELEASE_NAMESPACE = "relaylab-system";
/** Namespaces the all-on values name besides the release's: dashboards and a NetworkPolicy live there. */
const OTHER_NAMESPACES = ["monitoring", "relaylab-load"];
const ALL_ON_VALUES = fileURLToPath(new URL("../../../charts/relaylab/ci/all-on-values.yaml", import.meta.url));
const RESTRICTED = { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest" };
const api = `/apis/${GROUP}/${VERSION}`;
const STORAGE_CLASS = "static";

interface Manifest extends KubeObject {
  apiVersion: string;
  kind: string;
}
interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: { containers: { name: string; securityContext?: Record<string, unknown> }[] };
}
interface Discovery {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

/** The collection path of `kind` in `apiVersion`, from the API server's discovery (no guessed plurals). */
async function collectionPath(rest: Rest, apiVersion: string, kind: string, namespace: string): Promise<string> {
  const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const resource = (await rest.get<Discovery>(base)).resources.find((r) => r.kind === kind && !r.name.includes("/"));
  if (resource === undefined) throw new Error(`the API server serves no ${kind} in ${apiVersion}`);
  return resource.namespaced ? `${base}/namespaces/${namespace}/${resource.name}` : `${base}/${resource.name}`;
}

/** A dry-run Pod from a workload's pod template: PodSecurity admission judges Pods, not Deployments. */
const podFrom = (template: PodTemplate, name: string): { apiVersion: string; kind: string; metadata: { name: string; labels: Record<string, string> }; spec: PodTemplate["spec"] } => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, labels: template.metadata?.labels ?? {} },
  spec: template.spec,
});

const rejection = async (attempt: Promise<unknown>): Promise<ApiError> => {
  try {
    await attempt;
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  return assert.fail("the API server accepted it");
};

describe("the Helm chart on a real API server", { skip: suite.skip }, () => {
  const plane = suite.controlPlane(async (p) => {
    const crds = p.binaries.monitoringCrds.flatMap((file) => parseAllDocuments(readFileSync(file, "utf8")).map((d) => d.toJS() as Manifest));
    await installCrds(p.admin, crds);
  });

  it("accepts every object the chart renders with all its parts on (server-side dry run)", async () => {
    const { admin, binaries } = plane();
    for (const name of [RELEASE_NAMESPACE, ...OTHER_NAMESPACES]) await admin.create("/api/v1/namespaces", { metadata: { name, labels: RESTRICTED } });
    const manifests = (await renderChart(binaries.helm, RELEASE_NAMESPACE, ["--values", ALL_ON_VALUES])) as Manifest[];
    const accepted: string[] = [];
    for (const m of manifests) {
      const path = await collectionPath(admin, m.apiVersion, m.kind, m.metadata.namespace ?? RELEASE_NAMESPACE);
      try {
        await admin.create(path, m, { dryRun: "All", fieldValidation: "Strict" });
      } catch (e) {
        throw new Error(`the API server refuses the chart's ${m.kind} ${m.metadata.name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      accepted.push(m.kind);
    }
    for (const kind of ["CustomResourceDefinition", "Deployment", "ServiceMonitor", "PodMonitor", "PrometheusRule", "NetworkPolicy", "PodDisruptionBudget"]) {
      assert.ok(accepted.includes(kind), `the all-on chart rendered no ${kind}: ${accepted.join(", ")}`);
    }

    // The Deployment's pods, in a namespace enforcing `restricted`; and proof that it is enforced.
    const deployment = manifests.find((m) => m.kind === "Deployment") as (Manifest & { spec: { template: PodTemplate } }) | undefined;
    assert.ok(deployment, "the chart renders the operator's Deployment");
    const pods = `/api/v1/namespaces/${RELEASE_NAMESPACE}/pods`;
    // Admission of a Pod looks its ServiceAccount up, so that one is created for real.
    const account = manifests.find((m) => m.kind === "ServiceAccount");
    assert.ok(account, "the chart renders the operator's ServiceAccount");
    await admin.create(`/api/v1/namespaces/${RELEASE_NAMESPACE}/serviceaccounts`, account);
    await admin.create(pods, podFrom(deployment.spec.template, "operator-dry-run"), { dryRun: "All" });
    const privileged = structuredClone(deployment.spec.template);
    for (const c of privileged.spec.containers) c.securityContext = { ...c.securityContext, allowPrivilegeEscalation: true };
    const refused = await rejection(admin.create(pods, podFrom(privileged, "operator-escalating"), { dryRun: "All" }));
    assert.equal(refused.code, 403);
    assert.match(refused.statusMessage, /violates PodSecurity "restricted:latest".*allowPrivilegeEscalation/);
  });

  it("reconciles a Subnet in a restricted namespace under a namespaced install: node pods admitted with their data volumes, a PodMonitor, PVCs deleted with the nodes", async () => {
    const p = plane();
    const { admin } = p;
    const ns = "restricted-testnet";
    await admin.create("/api/v1/namespaces", { metadata: { name: ns, labels: RESTRICTED } });
    await admin.create("/api/v1/namespaces", { metadata: { name: "elsewhere" } });
    const identity = await installChart(p, p.binaries.helm, "relaylab-operator", ["--set", `operator.watchNamespace=${ns}`]);
    // The namespaced install: rights on Subnets and workloads in the watched namespace only.
    const denied = await rejection(identity.rest.list(`${api}/namespaces/elsewhere/subnets`));
    assert.equal(denied.code, 403, "the operator can read Subnets outside its namespace");
    assert.equal((await rejection(identity.rest.list("/apis/apps/v1/statefulsets"))).code, 403, "the operator can list StatefulSets cluster-wide");
    // A CRD just installed answers 429 until its storage is ready.
    await waitFor(
      "the operator to list Subnets in its namespace",
      async () => {
        try {
          await identity.rest.list(`${api}/namespaces/${ns}/subnets`);
          return true;
        } catch (e) {
          if (e instanceof ApiError && e.code === 429) return undefined;
          throw e;
        }
      },
      { timeoutMs: 60_000 },
    );
    await p.addNodes([{ name: "zone-a-0", labels: { "topology.kubernetes.io/zone": "zone-a" } }]);
    // No provisioner runs here: static volumes of a class with immediate binding stand in for one,
    // and kube-controller-manager's PersistentVolume binder binds the claims to them.
    await admin.create("/apis/storage.k8s.io/v1/storageclasses", {
      metadata: { name: STORAGE_CLASS },
      provisioner: "kubernetes.io/no-provisioner",
      volumeBindingMode: "Immediate",
    });
    for (let i = 0; i < 3; i++) {
      await admin.create("/api/v1/persistentvolumes", {
        metadata: { name: `static-${i}` },
        spec: { storageClassName: STORAGE_CLASS, capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"], hostPath: { path: `/var/relaylab/static-${i}` } },
      });
    }
    await admin.create(`${api}/datacenters`, { apiVersion: `${GROUP}/${VERSION}`, kind: "DataCenter", metadata: { name: "dc-a" }, spec: { region: "test" } });
    const operator = await OperatorRun.start(identity.kubeConfig, "op-chart", { leaderElection: false, namespace: ns });
    try {
      await operator.ready();
      const subnet = "gamma";
      const subnetPath = `${api}/namespaces/${ns}/subnets/${subnet}`;
      await admin.create(`${api}/namespaces/${ns}/subnets`, {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: "Subnet",
        metadata: { name: subnet },
        spec: { nodes: 3, groups: 1, groupSize: 3, dataCenters: { names: ["dc-a"] }, storage: { size: "1Gi", storageClassName: STORAGE_CLASS } },
      });
      const selector = { labelSelector: `${LABEL_SUBNET}=${subnet}` };
      const until = <T>(what: string, probe: () => Promise<T | undefined>): Promise<Exclude<T, undefined | false>> =>
        waitFor(
          what,
          () => {
            operator.assertRunning();
            return probe();
          },
          { timeoutMs: 180_000 },
        );
      const claims = async (): Promise<string[]> =>
        (await admin.list<KubeObject & { status?: { phase?: string } }>(`/api/v1/namespaces/${ns}/persistentvolumeclaims`, selector)).items
          .filter((c) => c.metadata.deletionTimestamp === undefined)
          .map((c) => `${c.metadata.name} ${c.status?.phase ?? "?"}`)
          .sort();
      const runningPods = async (count: number): Promise<KubeObject[] | undefined> => {
        const pods = (await admin.list<KubeObject & { status?: { phase?: string } }>(`/api/v1/namespaces/${ns}/pods`, selector)).items;
        const running = pods.filter((pod) => pod.status?.phase === "Running" && pod.metadata.deletionTimestamp === undefined);
        return running.length === count && pods.length === count ? running : undefined;
      };

      // A pod PodSecurity refused never exists (the StatefulSet controller's creates fail and retry),
      // and a pod whose claim is unbound is never scheduled.
      const running = await until("3 node pods Running in the restricted namespace", () => runningPods(3));
      assert.deepEqual(running.map((pod) => pod.metadata.labels?.[LABEL_POD_INDEX]).sort(), ["0", "1", "2"]);
      const sts = statefulSetName(subnet, "dc-a");
      assert.deepEqual(await claims(), [0, 1, 2].map((i) => `data-${sts}-${i} Bound`));

      const uid = (await admin.get<Subnet>(subnetPath)).metadata.uid;
      const monitor = await until("the Subnet's PodMonitor", () =>
        admin.find<KubeObject & { spec: { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: { port: string }[] } }>(
          `/apis/monitoring.coreos.com/v1/namespaces/${ns}/podmonitors/${subnet}`,
        ),
      );
      assert.deepEqual(monitor.spec.selector.matchLabels, { [LABEL_SUBNET]: subnet });
      assert.equal(monitor.spec.podMetricsEndpoints[0]?.port, "metrics");
      assert.equal(monitor.metadata.ownerReferences?.find((o) => o.controller === true)?.uid, uid, "the PodMonitor is owned by its Subnet");

      // persistentVolumeClaimRetentionPolicy: a removed node's data goes with it, and all of it with the Subnet.
      await admin.merge(subnetPath, { spec: { nodes: 2, groupSize: 2, topologyChange: "NewNetwork" } });
      await until("the third node's claim to be deleted", async () => ((await claims()).length === 2 && (await runningPods(2)) !== undefined ? true : undefined));
      assert.deepEqual(await claims(), [0, 1].map((i) => `data-${sts}-${i} Bound`));
      await admin.delete(subnetPath);
      await until("every claim to be deleted with the Subnet", async () => ((await claims()).length === 0 ? true : undefined));
    } finally {
      await operator.stop();
    }
  });
});
