// SPDX-License-Identifier: Apache-2.0
/**
 * reconcileDataCenter: holds the in-use finalizer (one per namespaced operator: dataCenterFinalizer)
 * while nodes run here or a Subnet selects this data center (the Subnet controller adds it before it places nodes here), reports which Subnets
 * run nodes here, and so holds deletion while any do. Network-profile changes reach the nodes through the Subnet
 * controller (it is enqueued for every DataCenter change and pushes fault sets); this one only
 * tracks usage, capacity and outage in the status.
 */
import { isDeepStrictEqual } from "node:util";
import type { Logger } from "pino";
import type { DataCenter, DataCenterStatus, Subnet } from "../../api/index.js";
import { API_VERSION, DATACENTER_CONDITIONS as C, DATACENTER_KIND, DATACENTER_REASONS as R, dataCenterFinalizer } from "../../api/index.js";
import { PlacementError, selectDataCenters } from "../../genesis/index.js";
import { LABEL_DATA_CENTER, LABEL_SUBNET } from "../../resources/index.js";
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
  { apiGroups: ["relaylab.dev"], resources: ["subnets"], verbs: ["list", "watch"] },
  { apiGroups: ["apps"], resources: ["statefulsets"], verbs: ["list", "watch"] },
  // Pods still terminating after their StatefulSet went (podsStillHere).
  { apiGroups: [""], resources: ["pods"], verbs: ["list"] },
];

/** How soon to look again while pods without a StatefulSet terminate (pods are not watched). */
export const TERMINATING_PODS_RECHECK_MS = 5_000;

export interface DataCenterReconcilerDeps {
  api: KubeApi;
  dataCenters: ObjectCache<DataCenter>;
  subnets: ObjectCache<Subnet>;
  statefulSets: ObjectCache<StatefulSetObject>;
  /** The one namespace a namespaced operator watches (operator.watchNamespace); undefined: all. */
  namespace?: string;
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
  let usage = usageOf(name, deps.statefulSets.list());
  const finalizers = dc.metadata.finalizers ?? [];
  const deleting = dc.metadata.deletionTimestamp !== undefined;
  const finalizer = dataCenterFinalizer(deps.namespace);
  const held = finalizers.includes(finalizer);

  // The finalizer is held only while nodes run here or a Subnet is about to place some: an unused
  // DataCenter deletes at once, even with no operator installed to release it.
  if (!deleting && usage.nodes > 0 && !held) {
    await holdDataCenter(api, dc, finalizer);
    return {};
  }
  let recheckMs: number | undefined;
  if (held && usage.nodes === 0 && !selectedBySubnet(dc, deps)) {
    usage = await podsStillHere(deps, name);
    if (usage.nodes === 0) {
      log.info({ dataCenter: name, deleting }, deleting ? "no nodes left; releasing the DataCenter for deletion" : "no nodes left; the DataCenter no longer needs its finalizer");
      // The update's own watch event reconciles the status (or the object is gone).
      await api.update({ ...dc, metadata: { ...dc.metadata, finalizers: finalizers.filter((f) => f !== finalizer) } });
      return {};
    }
    recheckMs = TERMINATING_PODS_RECHECK_MS;
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
  return recheckMs !== undefined ? { requeueAfterMs: recheckMs } : {};
}

/**
 * Adds the in-use finalizer unless it is there; returns whether it wrote. resourceVersion-guarded:
 * if the DataCenter changed since it was read (another writer, or its deletion began), this fails
 * with 409 and the caller's key is retried on fresh state.
 */
export async function holdDataCenter(api: KubeApi, dc: DataCenter, finalizer: string): Promise<boolean> {
  const finalizers = dc.metadata.finalizers ?? [];
  if (finalizers.includes(finalizer)) return false;
  await api.update({ ...dc, metadata: { ...dc.metadata, finalizers: [...finalizers, finalizer] } });
  return true;
}

/**
 * Whether a Subnet selects this DataCenter for placement. The Subnet controller adds the
 * finalizer before it applies the StatefulSets, so until they show up in the cache this is what
 * keeps the finalizer from being taken away again. A DataCenter being deleted takes no new nodes:
 * from then on only nodes already running hold it.
 */
function selectedBySubnet(dc: DataCenter, deps: DataCenterReconcilerDeps): boolean {
  if (dc.metadata.deletionTimestamp !== undefined) return false;
  const all = deps.dataCenters.list();
  return deps.subnets.list().some((subnet) => {
    if (subnet.metadata.deletionTimestamp !== undefined) return false;
    try {
      return selectDataCenters(subnet, all).some((d) => d.metadata.name === dc.metadata.name);
    } catch (err) {
      if (err instanceof PlacementError) return false; // an unplaceable Subnet places nothing
      throw err;
    }
  });
}

/**
 * Node pods left in a data center whose StatefulSets are gone. A StatefulSet deleted with
 * background propagation, or by garbage collection after its Subnet, leaves the API at once while
 * its pods still terminate; they run here until they are gone, so they count.
 */
async function podsStillHere(deps: DataCenterReconcilerDeps, name: string): Promise<{ nodes: number; subnets: string[] }> {
  // A namespaced operator may list pods in its namespace only, and holds the DataCenter for that namespace only.
  const pods = await deps.api.list("v1", "Pod", { labelSelector: `${LABEL_DATA_CENTER}=${name}`, ...(deps.namespace !== undefined ? { namespace: deps.namespace } : {}) });
  const subnets = [...new Set(pods.items.map((p) => `${p.metadata.namespace ?? ""}/${p.metadata.labels?.[LABEL_SUBNET] ?? ""}`))].sort();
  return { nodes: pods.items.length, subnets };
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
