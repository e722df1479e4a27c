// SPDX-License-Identifier: Apache-2.0
/**
 * The kinds the operator reads or writes, with their REST names. A static table rather than
 * discovery: the set is fixed, and it keeps the operator from needing discovery at run time.
 */
import { crdManifests } from "../../api/crd.js";

export interface KindInfo {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

const table: readonly KindInfo[] = [
  // relaylab's own kinds, as their CRDs name them.
  ...crdManifests().map((c) => ({ apiVersion: `${c.spec.group}/${c.spec.versions[0]?.name ?? ""}`, kind: c.spec.names.kind, plural: c.spec.names.plural, namespaced: c.spec.scope === "Namespaced" })),
  { apiVersion: "apps/v1", kind: "StatefulSet", plural: "statefulsets", namespaced: true },
  { apiVersion: "v1", kind: "Service", plural: "services", namespaced: true },
  { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true },
  { apiVersion: "v1", kind: "Secret", plural: "secrets", namespaced: true },
  { apiVersion: "v1", kind: "Pod", plural: "pods", namespaced: true },
  { apiVersion: "policy/v1", kind: "PodDisruptionBudget", plural: "poddisruptionbudgets", namespaced: true },
  { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", plural: "networkpolicies", namespaced: true },
  { apiVersion: "monitoring.coreos.com/v1", kind: "PodMonitor", plural: "podmonitors", namespaced: true },
  { apiVersion: "coordination.k8s.io/v1", kind: "Lease", plural: "leases", namespaced: true },
  { apiVersion: "events.k8s.io/v1", kind: "Event", plural: "events", namespaced: true },
  { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", plural: "tokenreviews", namespaced: false },
];

/** Looks up a kind; throws for one the operator does not know (a programming error). */
export function kindInfo(apiVersion: string, kind: string): KindInfo {
  const info = table.find((k) => k.apiVersion === apiVersion && k.kind === kind);
  if (info === undefined) throw new Error(`kind ${apiVersion} ${kind} is not in the operator's kind table (operator/runtime/kinds.ts); add it there`);
  return info;
}

/** REST path of a collection or of one object (optionally a subresource). */
export function restPath(apiVersion: string, kind: string, namespace?: string, name?: string, subresource?: string): string {
  const info = kindInfo(apiVersion, kind);
  const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const ns = info.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  const obj = name !== undefined ? `/${encodeURIComponent(name)}` : "";
  const sub = subresource !== undefined ? `/${subresource}` : "";
  return `${base}${ns}/${info.plural}${obj}${sub}`;
}
