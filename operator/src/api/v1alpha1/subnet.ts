// SPDX-License-Identifier: Apache-2.0
/**
 * Subnet (namespaced): one Threshold Relay network. The spec says how many nodes, how they are
 * grouped, where they run and how fast; the operator turns it into a genesis document plus one
 * StatefulSet per data center, and reports live beacon figures in the status.
 */
import type { LabelSelector, ObjectMeta, ResourceRequirements } from "./meta.js";
import type { Condition } from "./conditions.js";

export const SUBNET_KIND = "Subnet";
export const SUBNET_PLURAL = "subnets";
export const SUBNET_SINGULAR = "subnet";
export const SUBNET_SHORT_NAMES = ["sn"] as const;

/** How nodes are spread over the selected data centers. */
export const SPREAD_MODES = ["Even", "Pack"] as const;
/** `Even`: as equal as capacity allows (round robin). `Pack`: fill each data center in order before the next. */
export type SpreadMode = (typeof SPREAD_MODES)[number];

/** Byzantine behaviours a faulty member can show; the node's control API implements each one. */
export const BYZANTINE_BEHAVIOURS = ["WithholdShares", "InvalidShares", "SelectiveShares", "DkgEquivocate", "EquivocateBlocks"] as const;
export type ByzantineBehaviour = (typeof BYZANTINE_BEHAVIOURS)[number];

/** Which DataCenters a Subnet may use: exactly one of `names` (in this order) or `selector` (sorted by name). */
export interface DataCenterSelection {
  names?: string[];
  selector?: LabelSelector;
}

export interface PlacementRule {
  /** @default "Even" */
  spread?: SpreadMode;
  /** At most this many of this subnet's nodes in one data center; unset means no limit beyond capacity. */
  maxPerDataCenter?: number;
}

/** Protocol timings; the same names and units as the genesis document's `timings`. */
export interface SubnetTimings {
  /** @default 1000 */
  minRoundPeriodMs?: number;
  /** @default 500 */
  shareRetransmitMs?: number;
  /** @default 5000 */
  stallTimeoutMs?: number;
  /** @default 30000 */
  dkgTimeoutMs?: number;
}

export interface ByzantineFaults {
  /** How many members misbehave: the highest node indices, so the honest set stays 0…nodes−count−1. */
  count: number;
  behaviour: ByzantineBehaviour;
  /** For `SelectiveShares`: the node indices that still receive shares. */
  selectivePeers?: number[];
}

export interface SubnetFaults {
  byzantine?: ByzantineFaults;
}

/** Block finality: the notarization and finalization threshold and the byzantine notaries it must survive. */
export interface SubnetConsensus {
  /** Shares a block needs from its group's g notaries; safe while 2t − g > faultBudget. @default ⌊2·groupSize/3⌋+1 */
  threshold?: number;
  /** Byzantine notaries per group that finality survives; written to genesis. @default ⌊(groupSize−1)/3⌋ */
  faultBudget?: number;
  /** Accept a threshold that lets faultBudget byzantine notaries finalize two blocks at one height (fork experiments only). @default false */
  unsafeAllowForks?: boolean;
}

/** Node data volume; without `size` the node keeps its chain in an emptyDir. */
export interface DataVolume {
  /** PersistentVolumeClaim size, e.g. "1Gi". */
  size?: string;
  storageClassName?: string;
}

export interface SubnetSpec {
  /** Number of nodes (members) in the subnet. */
  nodes: number;
  /** Number of groups G formed at genesis (and per epoch). */
  groups: number;
  /** Members per group g; at most `nodes`. */
  groupSize: number;
  /** Beacon signatures needed per group t; at most `groupSize`. @default ⌊groupSize/2⌋+1 */
  threshold?: number;
  consensus?: SubnetConsensus;
  dataCenters: DataCenterSelection;
  placement?: PlacementRule;
  timings?: SubnetTimings;
  /** Rounds per epoch; 0 keeps the genesis groups forever. @default 0 */
  epochLength?: number;
  /** Node container image. @default DEFAULT_NODE_IMAGE */
  image?: string;
  resources?: ResourceRequirements;
  storage?: DataVolume;
  faults?: SubnetFaults;
  /** Stops reconciling children (they keep running as they are); status still updates. @default false */
  paused?: boolean;
  /**
   * Seconds after creation at which the operator deletes the Subnet (and so, by garbage
   * collection, its nodes): a janitor for CI clusters, so a testnet never outlives the pipeline
   * that made it, even one that died. Unset: kept until deleted.
   */
  ttlSeconds?: number;
}

/** Lifecycle summary of a Subnet, for humans; conditions carry the detail. */
export const SUBNET_PHASES = ["Pending", "Starting", "Running", "Stalled", "Degraded", "Paused", "Failed"] as const;
export type SubnetPhase = (typeof SUBNET_PHASES)[number];

/** Where this subnet's nodes run: a contiguous index range per data center. */
export interface DataCenterPlacementStatus {
  dataCenter: string;
  firstIndex: number;
  nodes: number;
  readyNodes: number;
}

export interface SubnetStatus {
  observedGeneration?: number;
  phase?: SubnetPhase;
  conditions?: Condition[];
  /** Nodes placed (equals spec.nodes once placement succeeds). */
  nodes?: number;
  readyNodes?: number;
  /** Highest beacon round accepted by any reachable node. */
  round?: number;
  /** Median round latency across reachable nodes, in milliseconds. */
  roundLatencyP50Ms?: number;
  /** Stall events seen so far (the maximum over nodes; every node sees a subnet-wide stall). */
  stallEvents?: number;
  finalizedHeight?: number;
  placement?: DataCenterPlacementStatus[];
  /** sha256 of the genesis document in use; a new value means a new network. */
  genesisHash?: string;
  /** When spec.ttlSeconds deletes the Subnet (RFC 3339). */
  expiresAt?: string;
}

export interface Subnet {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: SubnetSpec;
  status?: SubnetStatus;
}

export const SUBNET_CONDITIONS = {
  /** Every node is ready and the beacon advances. */
  ready: "Ready",
  /** Every group finished its DKG (registered groups reported by the nodes). */
  dkgComplete: "DKGComplete",
  /** Children are being created or rolled towards the spec. */
  progressing: "Progressing",
  /** Some nodes are not ready, or the spec cannot be applied. */
  degraded: "Degraded",
  /** The beacon is stalled: a round stayed open longer than the stall timeout. */
  stalled: "Stalled",
} as const;
export type SubnetConditionType = (typeof SUBNET_CONDITIONS)[keyof typeof SUBNET_CONDITIONS];

export const SUBNET_REASONS = {
  allNodesReady: "AllNodesReady",
  nodesNotReady: "NodesNotReady",
  noBeaconYet: "NoBeaconYet",
  dkgComplete: "GroupsRegistered",
  dkgPending: "DKGPending",
  rollingOut: "RollingOut",
  newGenesis: "NewGenesis",
  expired: "Expired",
  upToDate: "UpToDate",
  placementFailed: "PlacementFailed",
  invalidSpec: "InvalidSpec",
  paused: "Paused",
  beaconAdvancing: "BeaconAdvancing",
  roundStalled: "RoundStalled",
  statusUnavailable: "StatusUnavailable",
} as const;
export type SubnetReason = (typeof SUBNET_REASONS)[keyof typeof SUBNET_REASONS];
