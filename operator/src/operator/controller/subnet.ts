// SPDX-License-Identifier: Apache-2.0
/**
 * reconcileSubnet: level-based. From the Subnet, the DataCenters and the StatefulSets in the
 * informer caches it computes placement, identity keys, genesis and every child; applies them by
 * server-side apply; deletes StatefulSets of data centers no longer used; pushes each node's
 * fault set (its data center's network profile, byzantine behaviour) through the Control API;
 * reads live figures from the Public API; labels the pods with the groups the DKG registered;
 * and writes the status once.
 */
import { isDeepStrictEqual } from "node:util";
import type { Logger } from "pino";
import { GenesisError, parseGenesis } from "@relaylab/node/config";
import type { DataCenter, Subnet, SubnetStatus } from "../../api/index.js";
import { API_VERSION, SUBNET_CONDITIONS, SUBNET_KIND, SUBNET_REASONS, dataCenterFinalizer, resolveSubnetSpec } from "../../api/index.js";
import type { DataCenterShare, FaultSetSpec, Placement } from "../../genesis/index.js";
import { PlacementError, faultSetFor, genesisDocument, genesisForSubnet, shareDataCenters, shareIndices } from "../../genesis/index.js";
import {
  ANNOTATION_GENESIS_HASH,
  LABEL_SUBNET,
  MONITORING_GROUP,
  PORTS,
  DEFAULT_CHILDREN_CONFIG,
  desiredChildren,
  type ChildrenConfig,
  genesisConfigMapName,
  inDomain,
  networkPolicyRef,
  nodeHost,
  subnetDomain,
} from "../../resources/index.js";
import type { Clock } from "@relaylab/node/clock";
import type { Reconcile, Result } from "../runtime/controller.js";
import { controllerOwnerKey, objectKey, parseKey } from "../runtime/controller.js";
import { TerminalError } from "../runtime/errors.js";
import type { EventRecorder } from "../runtime/events.js";
import type { ObjectCache } from "../runtime/informer.js";
import type { KubeApi, KubeObject } from "../runtime/kube.js";
import { refOf } from "../runtime/kube.js";
import type { PolicyRule } from "../runtime/rbac.js";
import { changedConditions } from "./conditions.js";
import { holdDataCenter } from "./datacenter.js";
import { DerivedCache, StoredSecrets, type StoredKeys } from "./derived.js";
import { secretKeys } from "./identity.js";
import type { NodeControl, NodeLiveStatus, NodeStatusReader } from "./live.js";
import { summarizeLive } from "./live.js";
import { AppliedObjects } from "./applied.js";
import { GroupLabelState, publishGroupLabels } from "./group-labels.js";
import { NodeCalls } from "./node-calls.js";
import { computeSubnetStatus } from "./subnet-status.js";
import type { StatefulSetObject } from "./workloads.js";
import { dataCenterOf, shareOf, toView } from "./workloads.js";

/** Exactly the API access reconcileSubnet and its informers use. */
export const SUBNET_CONTROLLER_RULES: PolicyRule[] = [
  // "delete": a Subnet whose spec.ttlSeconds elapsed is deleted (expireSubnet).
  { apiGroups: ["relaylab.dev"], resources: ["subnets"], verbs: ["list", "watch", "delete"] },
  { apiGroups: ["relaylab.dev"], resources: ["subnets/status"], verbs: ["patch"] },
  // "update": the in-use finalizer, added before nodes are placed (holdDataCenter).
  { apiGroups: ["relaylab.dev"], resources: ["datacenters"], verbs: ["list", "watch", "update"] },
  // Server-side apply is a PATCH, but one that creates the object needs "create" as well.
  { apiGroups: ["apps"], resources: ["statefulsets"], verbs: ["list", "watch", "create", "patch", "delete"] },
  { apiGroups: [""], resources: ["services"], verbs: ["create", "patch"] },
  // "list", "watch": the genesis ConfigMaps are read from an informer.
  { apiGroups: [""], resources: ["configmaps"], verbs: ["list", "watch", "create", "patch"] },
  // "get" only: Secrets are read by name, never listed (derived.ts).
  { apiGroups: [""], resources: ["secrets"], verbs: ["get", "create", "patch"] },
  { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: ["create", "patch"] },
  // "delete": with policies turned off, one an earlier run built would still fence the nodes in.
  { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: ["create", "patch", "delete"] },
  { apiGroups: [MONITORING_GROUP], resources: ["podmonitors"], verbs: ["create", "patch"] },
  // Pods of an old genesis are deleted all at once (restartStaleGenesisPods).
  // "patch": group membership labels on node pods (group-labels.ts).
  { apiGroups: [""], resources: ["pods"], verbs: ["list", "delete", "patch"] },
];

export interface SubnetReconcilerDeps {
  api: KubeApi;
  subnets: ObjectCache<Subnet>;
  dataCenters: ObjectCache<DataCenter>;
  statefulSets: ObjectCache<StatefulSetObject>;
  /** The operator's ConfigMaps (an informer on its managed-by label): a reconcile reads the genesis hash from here. */
  configMaps: ObjectCache<KubeObject>;
  nodes: NodeStatusReader;
  control: NodeControl;
  events: EventRecorder;
  clock: Clock;
  log: Logger;
  /** Whether monitoring.coreos.com is served (cached by the caller). */
  monitoringServed: () => Promise<boolean>;
  /** The operator's configuration of every Subnet's children (node image, pull secrets, PodMonitor, NetworkPolicy). @default DEFAULT_CHILDREN_CONFIG */
  children?: ChildrenConfig;
  /** The one namespace a namespaced operator watches (operator.watchNamespace): it holds DataCenters with its own finalizer. */
  namespace?: string;
  /** How often to refresh live figures. @default 10000 */
  statusRefreshMs?: number;
  /** How long a reconcile waits for node calls (node-calls.ts). @default NODE_CALL_BUDGET_MS */
  nodeCallBudgetMs?: number;
}

/** What the reconciler keeps between reconciles: what it applied, and what it knows of the nodes. */
interface ReconcilerState {
  readonly applied: AppliedObjects;
  readonly calls: NodeCalls;
  /** Last status each node address answered; dropped when a call fails. */
  readonly live: Map<string, NodeLiveStatus>;
  /** Per node slot, the fault set last pushed successfully. */
  readonly pushed: Map<string, string>;
  /** Groups learned from the nodes and when pods were last labelled with them. */
  readonly groupLabels: GroupLabelState;
  /** Each Subnet's Secret data as last read or written. */
  readonly secrets: StoredSecrets;
  /** Genesis and children derived per Subnet, by a digest of their inputs. */
  readonly derived: DerivedCache<{ genesis: { json: string; hash: string }; certificates: readonly (string | undefined)[]; children: KubeObject[] }>;
  /** The genesis hash this operator last applied, per Subnet. */
  readonly genesisHashes: Map<string, string>;
  /** Each Subnet's node certificates by index, from the genesis this operator built or the one deployed. */
  readonly certificates: Map<string, readonly (string | undefined)[]>;
  /** The uid of each Subnet reconciled, by key: what its state above is kept under, to free when it goes. */
  readonly uids: Map<string, string>;
}

/** Builds the Subnet reconcile function; it keeps, per node, the last status and fault set pushed. */
export function createSubnetReconciler(deps: SubnetReconcilerDeps): Reconcile {
  const state: ReconcilerState = { applied: new AppliedObjects(deps.clock), secrets: new StoredSecrets(deps.clock), derived: new DerivedCache(), genesisHashes: new Map(), certificates: new Map(), calls: new NodeCalls(deps.clock, deps.nodeCallBudgetMs), live: new Map(), pushed: new Map(), groupLabels: new GroupLabelState(), uids: new Map() };
  return (key) => reconcileSubnet(deps, state, key);
}

async function reconcileSubnet(deps: SubnetReconcilerDeps, state: ReconcilerState, key: string): Promise<Result> {
  const { api, clock, log } = deps;
  const { namespace, name } = parseKey(key);
  const subnet = deps.subnets.get(`${namespace ?? ""}/${name}`);
  if (subnet === undefined || subnet.metadata.deletionTimestamp !== undefined) {
    forgetSubnet(deps, state, key);
    return {}; // children go by garbage collection
  }
  const uid = subnet.metadata.uid;
  if (uid !== undefined) {
    // Deleted and created again under the same name before the delete was reconciled: what was
    // kept for the old object (under its uid) would never be freed.
    const previous = state.uids.get(key);
    if (previous !== undefined && previous !== uid) forgetSubnet(deps, state, key);
    state.uids.set(key, uid);
  }
  const spec = resolveSubnetSpec(subnet.spec);
  const expiresAtMs = expiryOf(subnet);
  if (expiresAtMs !== undefined && clock.wallNow() >= expiresAtMs) {
    await expireSubnet(deps, subnet);
    return {};
  }
  const mine = deps.statefulSets.list().filter((s) => controllerOwnerKey(s, SUBNET_KIND) === key);

  let shares: readonly DataCenterShare[] = mine.map(shareOf);
  let placementError: string | undefined;
  let genesisHash: string | undefined;
  let controlKey: string | undefined;
  let newGenesis: { from: string; to: string } | undefined;
  const allDataCenters = deps.dataCenters.list();
  const dcByName = new Map(allDataCenters.map((dc) => [dc.metadata.name ?? "", dc]));

  if (!spec.paused) {
    try {
      shares = shareDataCenters(subnet, allDataCenters, { usedElsewhere: usedElsewhere(deps.statefulSets.list(), key) });
    } catch (err) {
      if (!(err instanceof PlacementError)) throw err;
      placementError = err.message;
    }
  }

  if (!spec.paused && placementError === undefined) {
    // Before any StatefulSet exists there: a DataCenter deleted between placement and the
    // StatefulSet's creation would otherwise vanish while nodes are being placed in it. The
    // DataCenter controller takes the finalizer away again once no Subnet selects it and no node runs there.
    for (const share of shares) {
      const dc = dcByName.get(share.dataCenter);
      if (dc !== undefined) await holdDataCenter(api, dc, dataCenterFinalizer(deps.namespace));
    }
    const applied = await applyChildren(deps, state, subnet, shares, dcByName, mine);
    genesisHash = applied.genesisHash;
    controlKey = applied.controlKey;
    if (applied.previousHash !== undefined && applied.previousHash !== applied.genesisHash) {
      newGenesis = { from: applied.previousHash, to: applied.genesisHash };
      await deps.events.record(subnet, "Normal", SUBNET_REASONS.newGenesis, "NewNetwork", `group parameters changed: new genesis ${applied.genesisHash.slice(0, 12)} (a new network)`);
    }
    // Listing pods costs an API call per Subnet per refresh; a stale pod can only exist while the
    // genesis just changed or some StatefulSet has not rolled out its latest template.
    const settled = newGenesis === undefined && mine.length === shares.length && mine.every((s) => toView(s).rolledOut);
    if (!settled) await restartStaleGenesisPods(deps, subnet, applied.genesisHash);
    for (const stale of mine.filter((s) => !shares.some((sh) => sh.dataCenter === dataCenterOf(s)))) {
      log.info({ subnet: key, statefulSet: stale.metadata.name }, "deleting the StatefulSet of a data center no longer used");
      await api.delete({ apiVersion: "apps/v1", kind: "StatefulSet", namespace: subnet.metadata.namespace ?? "", name: stale.metadata.name ?? "" });
    }
  }

  const placements = shareIndices(shares);
  const certificates = nodeCertificates(deps, state, subnet);
  const live = await readLive(deps, state, subnet, placements, certificates);
  if (!spec.paused && placementError === undefined && controlKey !== undefined) {
    await pushFaults(deps, state, subnet, shares, placements, dcByName, live, controlKey, certificates);
    const podsUnready = mine.some((s) => toView(s).readyReplicas < toView(s).replicas);
    await publishGroupLabels(deps, state.groupLabels, state.calls, subnet, placements, live, podsUnready, certificates);
  }

  const status = computeSubnetStatus({
    subnet,
    ...(placementError !== undefined ? { placementError } : {}),
    shares,
    statefulSets: mine.map(toView),
    live: summarizeLive([...live.values()]),
    ...(genesisHash !== undefined ? { genesisHash } : {}),
    ...(newGenesis !== undefined ? { newGenesis } : {}),
    nowIso: new Date(clock.wallNow()).toISOString(),
  });
  await writeStatus(deps, subnet, expiresAtMs !== undefined ? { ...status, expiresAt: new Date(expiresAtMs).toISOString() } : status);
  const refreshMs = deps.statusRefreshMs ?? 10_000;
  return { requeueAfterMs: expiresAtMs !== undefined ? Math.min(refreshMs, expiresAtMs - clock.wallNow()) : refreshMs };
}

/** When spec.ttlSeconds runs out (ms since the epoch), or undefined without a TTL. */
function expiryOf(subnet: Subnet): number | undefined {
  const ttl = subnet.spec.ttlSeconds;
  const created = Date.parse(subnet.metadata.creationTimestamp ?? "");
  return ttl === undefined || Number.isNaN(created) ? undefined : created + ttl * 1000;
}

/** Deletes a Subnet whose TTL elapsed; its children follow by garbage collection. */
async function expireSubnet(deps: SubnetReconcilerDeps, subnet: Subnet): Promise<void> {
  const ttl = subnet.spec.ttlSeconds ?? 0;
  deps.log.info({ subnet: key(subnet), ttlSeconds: ttl }, "spec.ttlSeconds elapsed: deleting the Subnet");
  await deps.events.record(subnet, "Normal", SUBNET_REASONS.expired, "Delete", `spec.ttlSeconds (${ttl}) elapsed since creation: deleting the Subnet and, by garbage collection, its nodes`);
  await deps.api.delete({ apiVersion: API_VERSION, kind: SUBNET_KIND, namespace: subnet.metadata.namespace ?? "", name: subnet.metadata.name ?? "" });
}

/** Nodes other Subnets run per data center, from their StatefulSets. */
function usedElsewhere(all: readonly StatefulSetObject[], key: string): Record<string, number> {
  const used: Record<string, number> = {};
  for (const s of all) {
    const owner = controllerOwnerKey(s, SUBNET_KIND);
    if (owner === undefined || owner === key) continue;
    const dc = dataCenterOf(s);
    used[dc] = (used[dc] ?? 0) + (s.spec?.replicas ?? 0);
  }
  return used;
}

async function applyChildren(
  deps: SubnetReconcilerDeps,
  state: ReconcilerState,
  subnet: Subnet,
  shares: readonly DataCenterShare[],
  dcByName: ReadonlyMap<string, DataCenter>,
  statefulSets: readonly StatefulSetObject[],
): Promise<{ genesisHash: string; previousHash: string | undefined; controlKey: string }> {
  const { api, log } = deps;
  const namespace = subnet.metadata.namespace ?? "";
  const name = subnet.metadata.name ?? "";
  const spec = resolveSubnetSpec(subnet.spec);

  const subnetKey = key(subnet);
  const stored = await state.secrets.read(api, subnetKey, namespace, name, spec.nodes);
  const config = deps.children ?? DEFAULT_CHILDREN_CONFIG;
  // The PodMonitor needs the Prometheus Operator's CRD; without it the operator builds none.
  const podMonitor = config.podMonitor && (await deps.monitoringServed());
  const { genesis, certificates, children } = state.derived.get(subnetKey, derivationInputs(subnet, shares, dcByName, stored, podMonitor), () => {
    const genesisInput = genesisForSubnet({
      subnet,
      placements: shareIndices(shares),
      identitySecrets: secretKeys(stored.identity, spec.nodes),
      addressOf: (index, p) => `${nodeHost(name, namespace, p.dataCenter, index)}:${PORTS.peer}`,
    });
    try {
      parseGenesis(genesisInput);
    } catch (err) {
      if (err instanceof GenesisError) throw new TerminalError(`the spec makes an invalid genesis (${err.message}); fix the Subnet spec`);
      throw err;
    }
    const genesis = genesisDocument(genesisInput);
    return { genesis, certificates: genesisInput.nodes.map((n) => n.certificate), children: desiredChildren({ subnet, shares, dataCenters: dcByName, genesis, identitySecrets: stored.identity, subnetKeys: stored.subnet, config: { ...config, podMonitor } }) };
  });
  // What this operator applied last is newer than a cache that has not caught up with it.
  const previousHash = state.genesisHashes.get(subnetKey) ?? deps.configMaps.get(`${namespace}/${genesisConfigMapName(name)}`)?.metadata.annotations?.[ANNOTATION_GENESIS_HASH];

  // StatefulSets are watched: one missing from the cache (deleted behind our back) is applied at once.
  const running = new Set(statefulSets.map((s) => s.metadata.name));
  // The Secret goes first: a genesis must never name keys that were not stored. It is written only
  // with keys just generated after a GET (derived.ts); written from a copy that is behind, it would
  // drop keys kept for node indices above the current count.
  for (const child of children) {
    if (child.kind === "Secret") {
      if (stored.generated === 0) continue;
      await api.apply(child);
      state.secrets.wrote(subnetKey, child);
      continue;
    }
    const missing = child.kind === "StatefulSet" && !running.has(child.metadata.name);
    if (!missing && !state.applied.due(subnetKey, child)) continue;
    await api.apply(child);
    state.applied.applied(subnetKey, child);
  }
  state.genesisHashes.set(subnetKey, genesis.hash);
  state.certificates.set(subnetKey, certificates);
  if (config.networkPolicy === undefined) {
    // Policies turned off (--no-network-policies): one an earlier run built would still fence the
    // nodes in. The delete is tracked like an apply, so it is repeated at most once per REAPPLY_MS.
    const policy = networkPolicyRef(subnet);
    if (state.applied.due(subnetKey, policy)) {
      await api.delete(refOf(policy));
      state.applied.applied(subnetKey, policy);
    }
  }
  if (stored.generated > 0) {
    // The count only: keys are never logged.
    log.info({ subnet: `${namespace}/${name}`, generated: stored.generated }, "generated and stored node identity keys");
    await deps.events.record(subnet, "Normal", "IdentityKeysGenerated", "GenerateKeys", `generated ${stored.generated} keys`);
  }
  return { genesisHash: genesis.hash, previousHash, controlKey: stored.subnet.control };
}

/**
 * Everything the derivation in applyChildren reads, for its cache: the Subnet's identity and spec,
 * its placement, the data centers it spans, its keys and the operator's configuration.
 */
function derivationInputs(subnet: Subnet, shares: readonly DataCenterShare[], dcByName: ReadonlyMap<string, DataCenter>, keys: StoredKeys, podMonitor: boolean): unknown {
  const { name, namespace, uid, labels, annotations } = subnet.metadata;
  const spanned = shares.map((s) => dcByName.get(s.dataCenter)).map((dc) => dc && { name: dc.metadata.name, labels: dc.metadata.labels, spec: dc.spec });
  return { subnet: { name, namespace, uid, labels, annotations, spec: subnet.spec }, shares, spanned, identity: [...keys.identity].sort(([a], [b]) => a - b), subnetKeys: keys.subnet, podMonitor };
}

/**
 * Frees what the reconciler holds for a deleted Subnet: applied-object digests, live figures,
 * pushed fault sets, learned groups, backoffs and the gRPC channels to its nodes. Without this, an operator
 * serving short-lived CI testnets would grow with every Subnet it ever saw.
 */
function forgetSubnet(deps: SubnetReconcilerDeps, state: ReconcilerState, key: string): void {
  const { namespace, name } = parseKey(key);
  const domain = subnetDomain(name, namespace ?? "");
  state.applied.forget(key);
  state.derived.forget(key);
  state.secrets.forget(key);
  state.genesisHashes.delete(key);
  state.certificates.delete(key);
  for (const address of state.live.keys()) if (inDomain(address, domain)) state.live.delete(address);
  state.calls.forget((address) => inDomain(address, domain));
  const uid = state.uids.get(key);
  if (uid !== undefined) {
    for (const slot of state.pushed.keys()) if (slot.startsWith(`${uid}/`)) state.pushed.delete(slot);
    state.groupLabels.forget(uid);
    state.uids.delete(key);
  }
  deps.nodes.release(domain);
}

/**
 * A new genesis is a new network: a node restarted on it cannot become ready while its peers
 * still run the old one, so a one-at-a-time rolling update would wait for ever. Every pod still
 * on an old genesis is deleted at once; the StatefulSets recreate them on the new template.
 */
async function restartStaleGenesisPods(deps: SubnetReconcilerDeps, subnet: Subnet, genesisHash: string): Promise<void> {
  const namespace = subnet.metadata.namespace ?? "";
  const name = subnet.metadata.name ?? "";
  const pods = await deps.api.list("v1", "Pod", { namespace, labelSelector: `${LABEL_SUBNET}=${name}` });
  const stale = pods.items.filter((p) => p.metadata.deletionTimestamp === undefined && p.metadata.annotations?.[ANNOTATION_GENESIS_HASH] !== genesisHash);
  if (stale.length === 0) return;
  deps.log.info({ subnet: `${namespace}/${name}`, pods: stale.length }, "restarting every pod of the old genesis at once");
  await deps.events.record(subnet, "Normal", "RestartingForNewGenesis", "RestartPods", `deleting ${stale.length} pods still on an old genesis so the new network starts together`);
  for (const p of stale) await deps.api.delete({ apiVersion: "v1", kind: "Pod", namespace, name: p.metadata.name ?? "" });
}

/**
 * The certificates genesis pins for the Subnet's nodes, by index: from the genesis this process built, else (a
 * paused Subnet after a restart) from the deployed genesis ConfigMap. A node's certificate is issued from its
 * identity key, kept across genesis changes, so one genesis's certificates hold for pods still on another.
 */
function nodeCertificates(deps: SubnetReconcilerDeps, state: ReconcilerState, subnet: Subnet): readonly (string | undefined)[] {
  const subnetKey = key(subnet);
  const built = state.certificates.get(subnetKey);
  if (built !== undefined) return built;
  const configMap = deps.configMaps.get(`${subnet.metadata.namespace ?? ""}/${genesisConfigMapName(subnet.metadata.name ?? "")}`) as (KubeObject & { data?: Record<string, string> }) | undefined;
  const json = configMap?.data?.["genesis.json"];
  if (json === undefined) return [];
  try {
    const deployed = (JSON.parse(json) as { nodes?: { certificate?: string }[] }).nodes?.map((n) => n.certificate) ?? [];
    state.certificates.set(subnetKey, deployed);
    return deployed;
  } catch {
    return [];
  }
}

/** Node statuses by index: what answered within the budget, or earlier and has not failed since. */
async function readLive(deps: SubnetReconcilerDeps, nodes: ReconcilerState, subnet: Subnet, placements: readonly Placement[], certificates: readonly (string | undefined)[]): Promise<Map<number, NodeLiveStatus>> {
  const namespace = subnet.metadata.namespace ?? "";
  const name = subnet.metadata.name ?? "";
  const addressOf = (p: Placement): string => `${nodeHost(name, namespace, p.dataCenter, p.index)}:${PORTS.peer}`;
  await nodes.calls.within(
    placements.map((p) => {
      const address = addressOf(p);
      return nodes.calls.start(address, "status", () => deps.nodes.status({ address, certificate: certificates[p.index] }), {
        ok: (s) => void nodes.live.set(address, s),
        failed: () => void nodes.live.delete(address),
      });
    }),
  );
  const live = new Map<number, NodeLiveStatus>();
  for (const p of placements) {
    const s = nodes.live.get(addressOf(p));
    if (s !== undefined) live.set(p.index, s);
  }
  return live;
}

const isEmptyFaultSet = (f: FaultSetSpec): boolean => f.links.length === 0 && f.byzantine.length === 0 && f.pauseMs === 0;

/**
 * Pushes each node's desired fault set when it differs from what this process last pushed, or
 * when the node reports no active faults although it should have some (it restarted).
 */
async function pushFaults(
  deps: SubnetReconcilerDeps,
  { calls, pushed }: ReconcilerState,
  subnet: Subnet,
  shares: readonly DataCenterShare[],
  placements: readonly Placement[],
  dcByName: ReadonlyMap<string, DataCenter>,
  live: ReadonlyMap<number, NodeLiveStatus>,
  controlKey: string,
  certificates: readonly (string | undefined)[],
): Promise<void> {
  const namespace = subnet.metadata.namespace ?? "";
  const name = subnet.metadata.name ?? "";
  const spec = resolveSubnetSpec(subnet.spec);
  const spanned = shares.map((s) => dcByName.get(s.dataCenter)).filter((dc): dc is DataCenter => dc !== undefined);
  const pushes = placements.map((p) => {
    const own = dcByName.get(p.dataCenter);
    if (own === undefined) return Promise.resolve();
    const desired = faultSetFor(p.index, spec.nodes, own, spanned, spec.byzantine);
    const slot = `${subnet.metadata.uid ?? key(subnet)}/${p.index}`;
    const text = JSON.stringify(desired);
    const restarted = live.get(p.index)?.activeFaults.length === 0 && !isEmptyFaultSet(desired);
    if (pushed.get(slot) === text && !restarted) return Promise.resolve();
    if (!pushed.has(slot) && isEmptyFaultSet(desired) && live.get(p.index)?.activeFaults.length === 0) {
      pushed.set(slot, text);
      return Promise.resolve();
    }
    const address = `${nodeHost(name, namespace, p.dataCenter, p.index)}:${PORTS.control}`;
    return calls.start(address, `faults ${text}`, () => deps.control.setFaults({ address, certificate: certificates[p.index], node: p.index, controlKey }, desired), {
      ok: () => void pushed.set(slot, text),
      // Not fatal: the node may still be starting; the next status refresh tries again.
      failed: (err) => deps.log.debug({ subnet: key(subnet), index: p.index, err: err instanceof Error ? err.message : String(err) }, "could not push faults yet"),
    });
  });
  await calls.within(pushes);
}

const key = (subnet: Subnet): string => objectKey(SUBNET_KIND, subnet.metadata.name ?? "", subnet.metadata.namespace);

async function writeStatus(deps: SubnetReconcilerDeps, subnet: Subnet, status: SubnetStatus): Promise<void> {
  // Key order differs (the API server returns custom resources with sorted keys): compare values.
  if (isDeepStrictEqual(status, subnet.status ?? {})) return;
  await deps.api.applyStatus({ apiVersion: API_VERSION, kind: SUBNET_KIND, metadata: { name: subnet.metadata.name, namespace: subnet.metadata.namespace }, status } as KubeObject);
  for (const c of changedConditions(subnet.status?.conditions, status.conditions ?? [])) {
    if (c.type !== SUBNET_CONDITIONS.ready && c.type !== SUBNET_CONDITIONS.stalled && c.type !== SUBNET_CONDITIONS.degraded) continue;
    if (subnet.status?.conditions === undefined && c.status !== "True") continue; // first status: only report what is true
    const warning = c.status === "True" && c.type !== SUBNET_CONDITIONS.ready;
    await deps.events.record(subnet, warning ? "Warning" : "Normal", c.reason, "StatusChanged", `${c.type}=${c.status}: ${c.message}`);
  }
}
