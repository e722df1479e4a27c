// SPDX-License-Identifier: Apache-2.0
/**
 * DataCenter (cluster-scoped): a place nodes run, with Kubernetes placement, a capacity, and a
 * network profile the nodes emulate (latency and jitter to other data centers, loss, bandwidth,
 * a full outage). Network changes reach running nodes through their control API.
 */
import type { ObjectMeta, Toleration } from "./meta.js";
import type { Condition } from "./conditions.js";

export const DATACENTER_KIND = "DataCenter";
export const DATACENTER_PLURAL = "datacenters";
export const DATACENTER_SINGULAR = "datacenter";
export const DATACENTER_SHORT_NAMES = ["dc"] as const;
/** Finalizer holding a DataCenter while Subnets still run nodes in it. */
export const DATACENTER_FINALIZER = "relaylab.dev/in-use";

export interface DataCenterPlacement {
  /** Kubernetes nodes that may host this data center's pods. */
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  /** Node label keys (e.g. "kubernetes.io/hostname") to spread one subnet's pods across within this data center. */
  topologyLabels?: string[];
}

export interface DataCenterCapacity {
  /** Most relaylab nodes, over all Subnets, this data center hosts; unset means unlimited. */
  maxNodes?: number;
}

/**
 * Emulated network. Latency between data centers A and B is `max(A.latencyMs[B], B.latencyMs[A])`
 * one way; loss, jitter and bandwidth apply to every link of this data center's nodes.
 */
export interface NetworkProfile {
  /** One-way latency to other data centers (and to itself, for intra-DC delay), by DataCenter name. */
  latencyMs?: Record<string, number>;
  jitterMs?: number;
  /** Probability 0…1 that a message is dropped. */
  loss?: number;
  /** Bytes per second cap per link; unset or 0 means no cap. */
  bandwidthBps?: number;
}

export interface DataCenterSpec {
  region?: string;
  placement?: DataCenterPlacement;
  capacity?: DataCenterCapacity;
  network?: NetworkProfile;
  /** Cut every node in this data center off from every peer. @default false */
  outage?: boolean;
}

export interface DataCenterStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  /** relaylab nodes placed here, over all Subnets. */
  nodes?: number;
  /** Subnets with nodes here, as "namespace/name". */
  subnets?: string[];
}

export interface DataCenter {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: DataCenterSpec;
  status?: DataCenterStatus;
}

export const DATACENTER_CONDITIONS = {
  /** Spec accepted and network profile pushed to every node hosted here. */
  ready: "Ready",
  /** Subnets run nodes here; deletion waits until they are gone. */
  inUse: "InUse",
  /** `spec.outage` is set: nodes here are cut off. */
  outage: "Outage",
} as const;
export type DataCenterConditionType = (typeof DATACENTER_CONDITIONS)[keyof typeof DATACENTER_CONDITIONS];

export const DATACENTER_REASONS = {
  accepted: "Accepted",
  hostsNodes: "HostsNodes",
  unused: "Unused",
  deletionBlocked: "DeletionBlocked",
  outageDeclared: "OutageDeclared",
  noOutage: "NoOutage",
  overCapacity: "OverCapacity",
} as const;
export type DataCenterReason = (typeof DATACENTER_REASONS)[keyof typeof DATACENTER_REASONS];
