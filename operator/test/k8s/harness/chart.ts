// SPDX-License-Identifier: Apache-2.0
/**
 * The operator's identity exactly as the Helm chart ships it: `helm template` renders
 * charts/relaylab, and its CRDs, ServiceAccount, ClusterRole(Binding) and Role(Binding) (the
 * Lease rules, namespaced) are created in the test API server. Tests then run the operator with
 * that ServiceAccount's token, never as admin, so a rule missing from the chart fails a test
 * instead of a production cluster.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { KubeConfig } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import type { ControlPlane } from "../harness.js";
import { installCrds } from "./crds.js";
import type { Rest } from "./rest.js";

const run = promisify(execFile);
const CHART = fileURLToPath(new URL("../../../../charts/relaylab", import.meta.url));
const RBAC = "/apis/rbac.authorization.k8s.io/v1";

export interface OperatorIdentity {
  /** The release namespace: the operator's ServiceAccount and its leader-election Lease live here. */
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly kubeConfig: KubeConfig;
  /** The same identity for direct calls (e.g. to show what RBAC denies). */
  readonly rest: Rest;
}

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
}

/** Where each installed kind is created; everything else the chart renders is not needed here. */
function collection(kind: string, namespace: string): string | undefined {
  return {
    ServiceAccount: `/api/v1/namespaces/${namespace}/serviceaccounts`,
    ClusterRole: `${RBAC}/clusterroles`,
    ClusterRoleBinding: `${RBAC}/clusterrolebindings`,
    Role: `${RBAC}/namespaces/${namespace}/roles`,
    RoleBinding: `${RBAC}/namespaces/${namespace}/rolebindings`,
  }[kind];
}

/** `helm template` of charts/relaylab into release namespace `namespace`; `args` adds e.g. `--values FILE`. */
export async function renderChart(helm: string, namespace: string, args: readonly string[] = []): Promise<Manifest[]> {
  const { stdout } = await run(helm, ["template", "relaylab", CHART, "--namespace", namespace, ...args], { maxBuffer: 64 << 20 });
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null && typeof m.kind === "string");
}

/**
 * Installs the chart's CRDs and RBAC into `namespace` (created here; a Role the chart places in
 * another namespace, such as operator.watchNamespace's, goes there); `args` are `helm template`'s.
 * Returns the operator's credentials.
 */
export async function installChart(plane: ControlPlane, helm: string, namespace = "relaylab-system", args: readonly string[] = []): Promise<OperatorIdentity> {
  const manifests = await renderChart(helm, namespace, args);
  const { admin } = plane;
  await admin.create("/api/v1/namespaces", { metadata: { name: namespace } });
  await installCrds(
    admin,
    manifests.filter((m) => m.kind === "CustomResourceDefinition"),
  );
  for (const m of manifests) {
    const path = collection(m.kind, m.metadata.namespace ?? namespace);
    if (path !== undefined) await admin.create(path, m);
  }
  const account = manifests.find((m) => m.kind === "ServiceAccount");
  if (account === undefined) throw new Error(`helm template ${CHART} rendered no ServiceAccount`);
  const { kubeConfig, rest } = await plane.serviceAccount(namespace, account.metadata.name);
  return { namespace, serviceAccount: account.metadata.name, kubeConfig, rest };
}
