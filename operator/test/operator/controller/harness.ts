// SPDX-License-Identifier: Apache-2.0
/** Reconciler test bed: the fake API, caches reading it directly, fake node APIs, an Event recorder. */
import type { DataCenter, Subnet } from "../../../src/api/index.js";
import { API_VERSION, DATACENTER_KIND, SUBNET_KIND } from "../../../src/api/index.js";
import { createDataCenterReconciler } from "../../../src/operator/controller/datacenter.js";
import type { ControlTarget, GroupMembers, NodeControl, NodeLiveStatus, NodeStatusReader, NodeTarget } from "../../../src/operator/controller/live.js";
import { createSubnetReconciler } from "../../../src/operator/controller/subnet.js";
import type { StatefulSetObject } from "../../../src/operator/controller/workloads.js";
import type { FaultSetSpec } from "../../../src/genesis/index.js";
import type { ChildrenConfig } from "../../../src/resources/index.js";
import { apiEventRecorder } from "../../../src/operator/runtime/events.js";
import type { ObjectCache } from "../../../src/operator/runtime/informer.js";
import { cacheKey } from "../../../src/operator/runtime/informer.js";
import type { KubeObject } from "../../../src/operator/runtime/kube.js";
import { FakeKube } from "../../fake-kube.js";
import { FakeClock } from "@relaylab/node/fake-clock";
import { testLog } from "../../log.js";

/** An always-fresh cache over the fake's store (informer lag is tested with the informer itself). */
export function cacheOf<T extends KubeObject>(kube: FakeKube, apiVersion: string, kind: string): ObjectCache<T> {
  return {
    get: (key) => kube.objects(apiVersion, kind).find((o) => cacheKey(o) === key) as unknown as T | undefined,
    list: () => kube.objects(apiVersion, kind).map((o) => structuredClone(o) as unknown as T),
  };
}

/** A cache that shows the fake's store as of its last `sync()`: an informer that has not caught up yet. */
export function laggingCacheOf<T extends KubeObject>(kube: FakeKube, apiVersion: string, kind: string): ObjectCache<T> & { sync(): void } {
  let seen: T[] = [];
  const sync = (): void => {
    seen = kube.objects(apiVersion, kind).map((o) => structuredClone(o) as unknown as T);
  };
  return { sync, get: (key) => seen.find((o) => cacheKey(o) === key), list: () => [...seen] };
}

/** Node Public/Control APIs answering from a map; unknown addresses are unreachable. */
export class FakeNodes implements NodeStatusReader, NodeControl {
  readonly statuses = new Map<string, NodeLiveStatus>();
  readonly pushes: { address: string; faults: FaultSetSpec }[] = [];
  /** Registered groups by epoch, as every reachable node reports them. */
  readonly groupSets = new Map<number, GroupMembers[]>();
  reachable = true;

  status({ address }: NodeTarget): Promise<NodeLiveStatus> {
    const s = this.statuses.get(address);
    return s === undefined || !this.reachable ? Promise.reject(new Error(`${address} unreachable`)) : Promise.resolve(s);
  }

  groups({ address }: NodeTarget, epoch: number): Promise<GroupMembers[]> {
    const set = this.groupSets.get(epoch);
    return set === undefined || !this.reachable || !this.statuses.has(address) ? Promise.reject(new Error(`${address} has no groups for epoch ${epoch}`)) : Promise.resolve(structuredClone(set));
  }

  setFaults({ address }: ControlTarget, faults: FaultSetSpec): Promise<void> {
    if (!this.reachable) return Promise.reject(new Error(`${address} unreachable`));
    this.pushes.push({ address, faults });
    return Promise.resolve();
  }

  /** Domains whose channels the reconciler released. */
  readonly released: string[] = [];
  release(domain: string): void {
    this.released.push(domain);
  }
}

/**
 * `namespace`: the operator's watch namespace (a namespaced install); `children`: the operator's
 * children configuration; `laggingConfigMaps`: the ConfigMap cache changes only on `syncConfigMaps()`.
 */
export function testBed(options: { namespace?: string; children?: ChildrenConfig; laggingConfigMaps?: boolean } = {}) {
  const kube = new FakeKube();
  const clock = new FakeClock();
  const nodes = new FakeNodes();
  const events = apiEventRecorder(kube, clock, testLog, "test");
  const subnets = cacheOf<Subnet>(kube, API_VERSION, SUBNET_KIND);
  const dataCenters = cacheOf<DataCenter>(kube, API_VERSION, DATACENTER_KIND);
  const statefulSets = cacheOf<StatefulSetObject>(kube, "apps/v1", "StatefulSet");
  const lagging = laggingCacheOf(kube, "v1", "ConfigMap");
  const configMaps = options.laggingConfigMaps === true ? lagging : cacheOf(kube, "v1", "ConfigMap");
  const subnetReconcile = createSubnetReconciler({
    api: kube,
    subnets,
    dataCenters,
    statefulSets,
    configMaps,
    nodes,
    control: nodes,
    events,
    clock,
    log: testLog,
    monitoringServed: () => Promise.resolve(kube.servedGroups.has("monitoring.coreos.com")),
    ...(options.children !== undefined ? { children: options.children } : {}),
    ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
  });
  const dcReconcile = createDataCenterReconciler({ api: kube, dataCenters, subnets, statefulSets, events, clock, log: testLog, ...(options.namespace !== undefined ? { namespace: options.namespace } : {}) });
  const signal = new AbortController().signal;
  return {
    kube,
    clock,
    nodes,
    syncConfigMaps: () => lagging.sync(),
    reconcileSubnet: (name: string, namespace = "default") => subnetReconcile(`Subnet/${namespace}/${name}`, signal),
    reconcileDataCenter: (name: string) => dcReconcile(`DataCenter/${name}`, signal),
    subnet: (name: string, namespace = "default") => kube.find(API_VERSION, SUBNET_KIND, name, namespace) as unknown as Subnet,
    dataCenter: (name: string) => kube.find(API_VERSION, DATACENTER_KIND, name) as unknown as DataCenter | undefined,
    statefulSet: (name: string, namespace = "default") => kube.find("apps/v1", "StatefulSet", name, namespace) as unknown as StatefulSetObject | undefined,
    events: () => kube.objects("events.k8s.io/v1", "Event").map((e) => (e as unknown as { reason: string }).reason),
    /** Marks every StatefulSet of the namespace rolled out and ready, as the StatefulSet controller would. */
    markReady(namespace = "default") {
      for (const s of kube.objects("apps/v1", "StatefulSet", { namespace })) {
        const replicas = (s as unknown as StatefulSetObject).spec?.replicas ?? 0;
        kube.patchAsOther(
          { apiVersion: "apps/v1", kind: "StatefulSet", namespace, name: s.metadata.name ?? "" },
          { status: { observedGeneration: s.metadata.generation, replicas, readyReplicas: replicas, updatedReplicas: replicas, currentRevision: "r1", updateRevision: "r1" } },
        );
      }
    },
  };
}
