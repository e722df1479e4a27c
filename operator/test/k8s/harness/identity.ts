// SPDX-License-Identifier: Apache-2.0
/**
 * The operator's identity as the chart installs it: a ServiceAccount bound to a ClusterRole made
 * of exactly the rules the operator declares. Tests run the operator with this account's token,
 * never as admin, so a rule missing from the chart fails a test instead of a production cluster.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { ControlPlane } from "../harness.js";
import type { Rest } from "./rest.js";

export interface RbacRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

export interface OperatorIdentity {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly kubeConfig: KubeConfig;
  /** The same identity for direct calls (e.g. to show what RBAC denies). */
  readonly rest: Rest;
}

/** Creates namespace, ServiceAccount, ClusterRole and binding; returns the account's credentials. */
export async function installOperatorIdentity(plane: ControlPlane, rules: readonly RbacRule[], namespace = "relaylab-system", name = "relaylab-operator"): Promise<OperatorIdentity> {
  const { admin } = plane;
  await admin.create("/api/v1/namespaces", { metadata: { name: namespace } });
  await admin.create(`/api/v1/namespaces/${namespace}/serviceaccounts`, { metadata: { name } });
  await admin.create("/apis/rbac.authorization.k8s.io/v1/clusterroles", { metadata: { name }, rules });
  await admin.create("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
    metadata: { name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
    subjects: [{ kind: "ServiceAccount", name, namespace }],
  });
  const { kubeConfig, rest } = await plane.serviceAccount(namespace, name);
  return { namespace, serviceAccount: name, kubeConfig, rest };
}
