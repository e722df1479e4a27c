// SPDX-License-Identifier: Apache-2.0
/**
 * reconcileDataCenter: holds the in-use finalizer while nodes run here (and only then), reports
 * which Subnets run them, and so holds deletion while any do. Network-profile changes reach the nodes through the Subnet
 * controller (it is enqueued for every DataCenter change and pushes fault sets); this one only
 * tracks usage, capacity and outage in the status.
 */
import { isDeepStrictEqual } from "node:util";
import type { Logger } from "pino";
import type { DataCenter, DataCenterStatus } from "../../api/index.js";
import { API_VERSION, DATACENTER_CONDITIONS as C, DATACENTER_FINALIZER, DATACENTER_KIND, DATACENTER_REASONS as R } from "../../api/index.js";
import { LABEL_SUBNET } from "../../resources/index.js";
import type { Clock } from "@relaylab/node/clock";
import type { Reconcile, Result } from "../runtime/controller.js";
import { parseKey } from "../runtime/controller.js";
import type { EventRecorder } from "../runtime/events.js";
import type { ObjectCache } from "../runtime/informer.js";
import type { KubeApi, KubeObject } from "../runtime/kube.js";
import type { PolicyRule } from "../runtime/rbac.js";
import type { ConditionInput } from "./conditions.js";
import { changedConditions, setConditions } from "./conditions.js";
import type { StatefulSetObject } from "./workloads.js";
import { dataCenterOf } from "./workloads.js";

/** Exactly the API access reconcileDataCenter and its informers use. */
export const DATACENTER_CONTROLLER_RULES: PolicyRule[] = [
  { apiGroups: ["relaylab.dev"], resources: ["datacenters"], verbs: ["list", "watch", "update"] },
  { apiGroups: ["relaylab.dev"], resources: ["datacenters/status"], verbs: ["patch"] },
  { apiGroups: ["apps"], resources: ["statefulsets"], verbs: ["list", "watch"] },
];

export interface DataCenterReconcilerDeps {
  api: KubeApi;
  dataCenters: ObjectCache<DataCenter>;
  statefulSets: ObjectCache<StatefulSetObject>;
  events: EventRecorder;
  clock: Clock;
  log: Logger;
}

export function createDataCenterReconciler(deps: DataCenterReconcilerDeps): Reconcile {
  return (key) => reconcileDataCenter(deps, key);
}

/** Usage of a data center: nodes (StatefulSet replicas) and the Subnets they belong to. */
export function usageOf(name: string, statefulSets: readonly StatefulSetObject[]): { nodes: number; subnets: string[] } {
  const here = statefulSets.filter((s) => dataCenterOf(s) === name);
  const subnets = [...new Set(here.map((s) => `${s.metadata.namespace ?? ""}/${s.metadata.labels?.[LABEL_SUBNET] ?? ""}`))].sort();
  return { nodes: here.reduce((a, s) => a + (s.spec?.replicas ?? 0), 0), subnets };
}

async function reconcileDataCenter(deps: DataCenterReconcilerDeps, key: string): Promise<Result> {
  const { api, log } = deps;
  const { name } = parseKey(key);
  const dc = deps.dataCenters.get(name);
  if (dc === undefined) return {};
  // StatefulSets still listed while being deleted count as in use: their pods are still running.
  const usage = usageOf(name, deps.statefulSets.list());
  const finalizers = dc.metadata.finalizers ?? [];
  const deleting = dc.metadata.deletionTimestamp !== undefined;

  // The finalizer is held only while nodes run here: an unused DataCenter deletes at once, even
  // with no operator installed to release it.
  const used = usage.nodes > 0;
  const held = finalizers.includes(DATACENTER_FINALIZER);
  if (!deleting && used && !held) {
    // resourceVersion-guarded: a concurrent change makes this fail with 409 and the key is retried.
    await api.update({ ...dc, metadata: { ...dc.metadata, finalizers: [...finalizers, DATACENTER_FINALIZER] } });
    return {};
  }
  if (!used && held) {
    log.info({ dataCenter: name, deleting }, deleting ? "no nodes left; releasing the DataCenter for deletion" : "no nodes left; the DataCenter no longer needs its finalizer");
    // The update's own watch event reconciles the status (or the object is gone).
    await api.update({ ...dc, metadata: { ...dc.metadata, finalizers: finalizers.filter((f) => f !== DATACENTER_FINALIZER) } });
    return {};
  }

  const status = computeDataCenterStatus(dc, usage, new Date(deps.clock.wallNow()).toISOString());
  // Key order differs (the API server returns custom resources with sorted keys): compare values.
  if (!isDeepStrictEqual(status, dc.status ?? {})) {
    await api.applyStatus({ apiVersion: API_VERSION, kind: DATACENTER_KIND, metadata: { name }, status } as KubeObject);
    for (const c of changedConditions(dc.status?.conditions, status.conditions ?? [])) {
      if (dc.status?.conditions === undefined && c.status !== "True") continue;
      const warning = c.status === "True" && (c.reason === R.deletionBlocked || c.reason === R.outageDeclared);
      await deps.events.record(dc, warning ? "Warning" : "Normal", c.reason, "StatusChanged", `${c.type}=${c.status}: ${c.message}`);
    }
  }
  return {};
}

/** Pure: the DataCenter's status from its usage. */
export function computeDataCenterStatus(dc: DataCenter, usage: { nodes: number; subnets: string[] }, nowIso: string): DataCenterStatus {
  const generation = dc.metadata.generation ?? 0;
  const deleting = dc.metadata.deletionTimestamp !== undefined;
  const max = dc.spec.capacity?.maxNodes;
  const ready: ConditionInput =
    max !== undefined && usage.nodes > max
      ? { type: C.ready, status: "False", reason: R.overCapacity, message: `hosts ${usage.nodes} nodes but capacity.maxNodes is ${max}; raise the capacity or move Subnets elsewhere` }
      : { type: C.ready, status: "True", reason: R.accepted, message: max === undefined ? `hosts ${usage.nodes} nodes (no capacity limit)` : `hosts ${usage.nodes} of at most ${max} nodes` };
  const list = usage.subnets.join(", ");
  const inUse: ConditionInput = deleting
    ? {
        type: C.inUse,
        status: "True",
        reason: R.deletionBlocked,
        message: `deletion waits: ${usage.nodes} nodes of Subnets ${list} still run here; remove this DataCenter from their spec.dataCenters or delete them`,
      }
    : usage.nodes > 0
      ? { type: C.inUse, status: "True", reason: R.hostsNodes, message: `${usage.nodes} nodes of Subnets ${list}` }
      : { type: C.inUse, status: "False", reason: R.unused, message: "no relaylab nodes run here" };
  const outage: ConditionInput =
    dc.spec.outage === true
      ? { type: C.outage, status: "True", reason: R.outageDeclared, message: "spec.outage is true: every node here is cut off from every peer" }
      : { type: C.outage, status: "False", reason: R.noOutage, message: "spec.outage is false" };
  return { observedGeneration: generation, conditions: setConditions(dc.status?.conditions, [ready, inUse, outage], generation, nowIso), nodes: usage.nodes, subnets: usage.subnets };
}
