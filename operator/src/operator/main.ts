// SPDX-License-Identifier: Apache-2.0
/**
 * runOperator: wiring only. Informers for Subnets, DataCenters, ChaosExperiments and the
 * operator's StatefulSets feed three controllers; leader election decides which replica runs them; /healthz, /readyz and
 * /metrics are served by every replica. The CLI (`relaylab operator`) parses flags and calls this.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { pino } from "pino";
import type { Logger } from "pino";
import { Registry } from "prom-client";
import { API_VERSION, DATACENTER_KIND, SUBNET_KIND } from "../api/index.js";
import type { ChaosExperiment, DataCenter, Subnet } from "../api/index.js";
import { CHAOS_KIND } from "../api/index.js";
import { createChaosReconciler } from "./controller/chaos.js";
import { createDataCenterReconciler } from "./controller/datacenter.js";
import { grpcNodes, type NodeControl, type NodeStatusReader } from "./controller/live.js";
import { createSubnetReconciler } from "./controller/subnet.js";
import type { StatefulSetObject } from "./controller/workloads.js";
import { dataCenterOf } from "./controller/workloads.js";
import { createOperatorMetrics } from "../metrics/registry.js";
import { MANAGED_BY_SELECTOR, MONITORING_GROUP, type ChildrenConfig } from "../resources/index.js";
import { systemClock, type Clock } from "@relaylab/node/clock";
import { createKubeApi, loadKubeConfig } from "./runtime/client-node.js";
import { Controller, objectKey } from "./runtime/controller.js";
import { apiEventRecorder } from "./runtime/events.js";
import { Informer } from "./runtime/informer.js";
import type { KubeApi, KubeObject } from "./runtime/kube.js";
import { LeaderElector } from "./runtime/leader.js";
import { startHealthServer } from "./health.js";
import { startKeyService } from "./key-service.js";

const SA_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

export interface OperatorOptions {
  /** Kubernetes access; default: in-cluster config or KUBECONFIG through client-node. */
  api?: KubeApi;
  /** Namespace of the leader Lease; default: POD_NAMESPACE, the service account's namespace, or "default". */
  leaseNamespace?: string;
  /** Lease name. @default "relaylab-operator" */
  leaseName?: string;
  /** Run without leader election (a single replica, or tests). @default true */
  leaderElection?: boolean;
  /** This replica's identity in the Lease. @default hostname + random suffix */
  identity?: string;
  /** Only manage Subnets (and watch their workloads) in this namespace. @default all namespaces */
  namespace?: string;
  /** host:port for /healthz, /readyz, /metrics. @default "0.0.0.0:8080" */
  listen?: string;
  /** Workers per controller. @default 2 */
  workers?: number;
  /** How often each Subnet's live figures are refreshed. @default 10000 */
  statusRefreshMs?: number;
  /** Node image, pull secrets, PodMonitor and NetworkPolicy of every Subnet. @default DEFAULT_CHILDREN_CONFIG */
  children?: ChildrenConfig;
  /** Node Public/Control API access; default gRPC. */
  nodes?: NodeStatusReader & NodeControl;
  logger?: Logger;
  clock?: Clock;
  /** Stops the operator (graceful: controllers drain, the lease is released). */
  signal?: AbortSignal;
  /** Called with the bound health address once listening. */
  onListening?: (address: string) => void;
  /** host:port of the key service, from which node pods fetch their identity keys. @default "0.0.0.0:8081" */
  identityListen?: string;
  /** Called with the key service's bound address once listening. */
  onIdentityListening?: (address: string) => void;
}

/** Runs the operator until `options.signal` aborts. Rejects with LeadershipLostError if the lease was lost. */
export async function runOperator(options: OperatorOptions = {}): Promise<void> {
  const log = options.logger ?? pino({ name: "relaylab-operator" });
  const clock = options.clock ?? systemClock;
  const signal = options.signal ?? new AbortController().signal;
  const api = options.api ?? createKubeApi(loadKubeConfig());
  const identity = options.identity ?? `${hostname()}-${randomBytes(4).toString("hex")}`;
  const registry = new Registry();
  const metrics = createOperatorMetrics(registry);
  const grpc = options.nodes === undefined ? grpcNodes() : undefined;
  const nodes: NodeStatusReader & NodeControl = options.nodes ?? grpc ?? grpcNodes();
  let synced = false;
  const health = await startHealthServer(options.listen ?? "0.0.0.0:8080", registry, () => synced);
  options.onListening?.(health.address);
  // Every replica serves keys (it reads the Secret, not the leader's caches): node pods start
  // whichever replica leads.
  const keys = await startKeyService(options.identityListen ?? "0.0.0.0:8081", { api, log, metrics });
  options.onIdentityListening?.(keys.address);
  log.info({ identity, health: health.address }, "relaylab operator starting");

  const lead = async (leading: AbortSignal): Promise<void> => {
    const informer = <T extends KubeObject>(apiVersion: string, kind: string, extra: { namespace?: string; labelSelector?: string } = {}): Informer<T> =>
      new Informer<T>({ api, apiVersion, kind, clock, log, ...extra });
    // A namespaced install holds a Role in one namespace: every namespaced informer stays in it, and
    // it writes no Events about cluster-scoped DataCenters (the API server takes those only in "default").
    const scope = options.namespace !== undefined ? { namespace: options.namespace } : {};
    const subnets = informer<Subnet>(API_VERSION, SUBNET_KIND, scope);
    const dataCenters = informer<DataCenter>(API_VERSION, DATACENTER_KIND);
    // The operator's own children only.
    const managed = { ...scope, labelSelector: MANAGED_BY_SELECTOR };
    const statefulSets = informer<StatefulSetObject>("apps/v1", "StatefulSet", managed);
    const configMaps = informer<KubeObject>("v1", "ConfigMap", managed);
    const events = apiEventRecorder(api, clock, log, identity, options.namespace === undefined);
    let monitoring: { at: number; served: boolean } | undefined;
    const monitoringServed = async (): Promise<boolean> => {
      // Discovery once a minute: a Prometheus Operator installed later is picked up without a restart.
      if (monitoring === undefined || clock.now() - monitoring.at > 60_000) monitoring = { at: clock.now(), served: await api.isGroupServed(MONITORING_GROUP) };
      return monitoring.served;
    };

    const subnetCtl = new Controller({
      name: "subnet",
      clock,
      log,
      metrics,
      ...(options.workers !== undefined ? { workers: options.workers } : {}),
      reconcile: createSubnetReconciler({
        api,
        subnets,
        dataCenters,
        statefulSets,
        configMaps,
        nodes,
        control: nodes,
        events,
        clock,
        log,
        monitoringServed,
        ...scope,
        ...(options.children !== undefined ? { children: options.children } : {}),
        ...(options.statusRefreshMs !== undefined ? { statusRefreshMs: options.statusRefreshMs } : {}),
      }),
    });
    subnetCtl.watchSelf(subnets);
    subnetCtl.watchOwned(statefulSets, SUBNET_KIND);
    // A DataCenter change (network profile, outage, capacity, labels) may concern any Subnet.
    subnetCtl.watch(dataCenters, () => subnets.list().map((s) => objectKey(SUBNET_KIND, s.metadata.name ?? "", s.metadata.namespace)), { ignoreStatusOnly: true });

    const dcCtl = new Controller({
      name: "datacenter",
      clock,
      log,
      metrics,
      ...(options.workers !== undefined ? { workers: options.workers } : {}),
      reconcile: createDataCenterReconciler({ api, dataCenters, subnets, statefulSets, events, clock, log, ...scope }),
    });
    dcCtl.watchSelf(dataCenters);
    dcCtl.watch(statefulSets, (sts) => [objectKey(DATACENTER_KIND, dataCenterOf(sts))]);
    // Whether a Subnet selects a DataCenter decides whether its finalizer may go.
    dcCtl.watch(subnets, () => dataCenters.list().map((dc) => objectKey(DATACENTER_KIND, dc.metadata.name ?? "")), { ignoreStatusOnly: true });

    const experiments = informer<ChaosExperiment>(API_VERSION, CHAOS_KIND, scope);
    const chaosCtl = new Controller({
      name: "chaos",
      clock,
      log,
      metrics,
      reconcile: createChaosReconciler({ api, experiments, subnets, events, clock, log, leading }),
    });
    chaosCtl.watchSelf(experiments);
    // The experiment's Subnet going away ends its run.
    chaosCtl.watchOwned(subnets, CHAOS_KIND);

    const informers = [subnets, dataCenters, statefulSets, configMaps, experiments];
    const running = informers.map((i) => i.run(leading));
    await Promise.all(informers.map((i) => i.synced()).map((p) => Promise.race([p, new Promise<void>((r) => leading.addEventListener("abort", () => r(), { once: true }))])));
    synced = true;
    log.info("caches synced; controllers running");
    await Promise.all([subnetCtl.run(leading), dcCtl.run(leading), chaosCtl.run(leading), ...running]);
  };

  try {
    if (options.leaderElection === false) {
      await lead(signal);
    } else {
      const elector = new LeaderElector({ api, namespace: options.leaseNamespace ?? ownNamespace(), identity, clock, log, metrics, ...(options.leaseName !== undefined ? { name: options.leaseName } : {}) });
      // Followers are ready too: readiness says "this replica works", not "this replica leads".
      synced = true;
      await elector.run(signal, async (leading) => {
        synced = false;
        await lead(leading);
      });
    }
  } finally {
    grpc?.close();
    await Promise.all([health.close(), keys.close()]);
    log.info("relaylab operator stopped");
  }
}

/** The operator's own namespace: POD_NAMESPACE, the service account's namespace, or "default". */
export function ownNamespace(): string {
  const fromEnv = process.env.POD_NAMESPACE;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  try {
    return readFileSync(SA_NAMESPACE_FILE, "utf8").trim();
  } catch {
    return "default";
  }
}
