// SPDX-License-Identifier: Apache-2.0
/**
 * Subnet (namespaced): one Threshold Relay network. The spec says how many nodes, how they are
 * grouped, where they run and how fast; the operator turns it into a genesis document plus one
 * StatefulSet per data center, and reports live beacon figures in the status.
 */
import { z } from "zod";
import { ConsensusSchema, GroupsSchema, TimingsSchema } from "@relaylab/node/config";
import { DNS_LABEL_PATTERN, integer, kube } from "../structural.js";
import { LabelSelectorSchema, ResourceRequirementsSchema, type ObjectMeta } from "./meta.js";
import { ConditionsSchema } from "./conditions.js";
import { MAX_DATACENTER_NAME, MAX_NODES } from "./group.js";

export const SUBNET_KIND = "Subnet";
export const SUBNET_PLURAL = "subnets";
export const SUBNET_SINGULAR = "subnet";
export const SUBNET_SHORT_NAMES = ["sn"] as const;

/** How nodes are spread over the selected data centers. */
export const SPREAD_MODES = ["Even", "Pack"] as const;
/** `Even`: as equal as capacity allows (round robin). `Pack`: fill each data center in order before the next. */
export type SpreadMode = (typeof SPREAD_MODES)[number];
export const DEFAULT_SPREAD: SpreadMode = "Even";

/**
 * What a change of nodes, groups, groupSize or threshold may do. Any of them gives a new genesis,
 * so a new network whose chain starts again at round 1: `Reject` (the default) refuses such an
 * update at admission, `NewNetwork` lets it through.
 */
export const TOPOLOGY_CHANGE_POLICIES = ["Reject", "NewNetwork"] as const;
export type TopologyChangePolicy = (typeof TOPOLOGY_CHANGE_POLICIES)[number];

/**
 * Node container resources when a Subnet names none: a request, so node pods are not BestEffort and
 * the scheduler counts them (a node process holds about 80 MiB in a pod), and a memory limit with
 * room for large groups.
 */
export const DEFAULT_NODE_RESOURCES = { requests: { cpu: "50m", memory: "96Mi" }, limits: { memory: "512Mi" } } as const;
/** Size limit of the node's data emptyDir when no persistent volume is asked for. */
export const DEFAULT_EMPTYDIR_SIZE_LIMIT = "1Gi";

const QUANTITY_PATTERN = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/;

/** Byzantine behaviours a faulty member can show; the node's control API implements each one. */
export const BYZANTINE_BEHAVIOURS = ["WithholdShares", "InvalidShares", "SelectiveShares", "DkgEquivocate", "EquivocateBlocks", "EquivocateVotes", "DkgOutcomeEquivocate", "DkgFalseComplaints"] as const;
export type ByzantineBehaviour = (typeof BYZANTINE_BEHAVIOURS)[number];

/** A count between `min` and MAX_NODES. */
const count = (description: string, min: number) => integer(description).min(min).max(MAX_NODES);

/** A timing from the genesis schema, with its bound and default; the CRD adds the description. */
const timing = (key: keyof typeof TimingsSchema.shape, description: string) => TimingsSchema.shape[key].describe(`${description} Milliseconds.`);

/** Which DataCenters a Subnet may use: exactly one of `names` (in this order) or `selector` (sorted by name). */
const DataCenterSelectionSchema = kube(
  z.object({
    names: kube(z.array(z.string().max(MAX_DATACENTER_NAME).regex(new RegExp(DNS_LABEL_PATTERN)).describe("A DataCenter name.")).min(1).max(64).optional(), {
      description: "DataCenter names, in placement order.",
      "x-kubernetes-list-type": "set",
    }),
    selector: LabelSelectorSchema.optional().describe("Label selector over DataCenters."),
  }),
  {
    description: "Which DataCenters host the nodes: exactly one of names (placement order) or selector (sorted by name).",
    "x-kubernetes-validations": [{ rule: "has(self.names) != has(self.selector)", message: "set exactly one of dataCenters.names and dataCenters.selector" }],
  },
);

const ByzantineFaultsSchema = z
  .object({
    /** The highest node indices misbehave, so the honest set stays 0…nodes−count−1. */
    count: count("How many members misbehave.", 0),
    behaviour: z.enum(BYZANTINE_BEHAVIOURS).describe("What they do."),
    selectivePeers: z.array(integer("A node index.").min(0)).max(1024).optional().describe("For SelectiveShares: indices that still receive shares."),
  })
  .describe("Byzantine members: the highest node indices misbehave.");
export type ByzantineFaults = z.input<typeof ByzantineFaultsSchema>;

const SubnetSpecFields = z.object({
  nodes: count("Number of nodes (members).", 1),
  groups: integer("Number of groups formed at genesis and at every epoch.").min(1).max(1024),
  groupSize: count("Members per group; at most nodes.", 1),
  threshold: count("Signatures needed per group; at most groupSize. Defaults to a strict majority, floor(groupSize/2)+1.", 1).optional(),
  unsafeAllowMinorityThreshold: GroupsSchema.shape.unsafeAllowMinorityThreshold.describe(
    "Accept a threshold of at most half of groupSize, which the groupSize - threshold members a group may lose to byzantine faults reach by themselves. Experiments without a byzantine budget only.",
  ),
  consensus: z
    .object({
      threshold: count("Shares a block needs from its group's notaries; safe while 2*threshold - groupSize > faultBudget. Defaults to floor(2*groupSize/3)+1.", 1).optional(),
      faultBudget: count("Byzantine notaries per group that finality survives (written to genesis). Defaults to floor((groupSize-1)/3).", 0).optional(),
      unsafeAllowForks: ConsensusSchema.shape.unsafeAllowForks.describe(
        "Accept a threshold that lets faultBudget byzantine notaries finalize two blocks at one height. Fork experiments only.",
      ),
    })
    .optional()
    .describe("Block finality: notarization and finalization threshold and the byzantine notaries it must survive."),
  dataCenters: DataCenterSelectionSchema,
  placement: z
    .object({
      spread: z.enum(SPREAD_MODES).default(DEFAULT_SPREAD).describe("Even: as equal as capacity allows. Pack: fill each data center in order."),
      maxPerDataCenter: count("At most this many of this subnet's nodes per data center.", 1).optional(),
    })
    .prefault({})
    .describe("How nodes are spread over the data centers."),
  timings: z
    .object({
      minRoundPeriodMs: timing("minRoundPeriodMs", "Minimum time between accepting B(r-1) and signing round r; 0 runs as fast as possible."),
      shareRetransmitMs: timing("shareRetransmitMs", "How often a member re-sends its share while a round is open."),
      stallTimeoutMs: timing("stallTimeoutMs", "A round open longer than this is a stall event."),
      dkgTimeoutMs: timing("dkgTimeoutMs", "A group whose DKG has not finished by then is not registered."),
    })
    .prefault({})
    .describe("Protocol timings; the same names and units as the genesis document."),
  genesisSeed: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex characters")
    .optional()
    .describe("Pin the genesis seed (64 lowercase hex), e.g. to replay a chaos run on the same groups; unset derives it from the Subnet's UID and parameters."),
  epochLength: integer("Rounds per epoch; 0 keeps the genesis groups forever.").min(0).default(0),
  image: z.string().min(1).optional().describe("Node container image; unset uses the operator's node image (chart value node.image), so an operator upgrade moves the nodes too."),
  resources: ResourceRequirementsSchema.default({ requests: { ...DEFAULT_NODE_RESOURCES.requests }, limits: { ...DEFAULT_NODE_RESOURCES.limits } }),
  storage: z
    .object({
      size: z.string().regex(QUANTITY_PATTERN).optional().describe("PersistentVolumeClaim size, e.g. 1Gi."),
      storageClassName: z.string().optional().describe("StorageClass of the claim."),
      emptyDirSizeLimit: z.string().regex(QUANTITY_PATTERN).default(DEFAULT_EMPTYDIR_SIZE_LIMIT).describe("Size limit of the emptyDir used when size is unset."),
    })
    .prefault({})
    .describe("Node data volume; without size an emptyDir is used."),
  disruptionBudget: z
    .object({
      maxUnavailable: integer("Node pods a voluntary disruption (a drain) may take down at once. Defaults to groupSize - threshold, the members a group can lose and still sign, and at least 1 so that drains never block; with threshold = groupSize a drain then stalls a group until its pod is back.").min(0).max(MAX_NODES).optional(),
    })
    .optional()
    .describe("The PodDisruptionBudget of the node pods."),
  faults: z
    .object({ byzantine: ByzantineFaultsSchema.optional() })
    .optional()
    .describe("Faults for chaos experiments, pushed to nodes through their control API."),
  topologyChange: z
    .enum(TOPOLOGY_CHANGE_POLICIES)
    .default("Reject")
    .describe("Reject: an update of nodes, groups, groupSize, threshold or genesisSeed is refused. NewNetwork: such an update starts a new network (new genesis, chain from round 1)."),
  paused: z.boolean().default(false).describe("Stop changing children (they keep running); status still updates."),
  /** A janitor for CI clusters, so a testnet never outlives the pipeline that made it, even one that died. */
  ttlSeconds: integer("Delete the Subnet this many seconds after its creation (a janitor for CI clusters); unset keeps it until deleted.").min(1).optional(),
});

/** Desired state of a Subnet, with the cross-field rules the API server enforces as CEL. */
export const SubnetSpecSchema = kube(SubnetSpecFields, {
  description: "Desired state of a Threshold Relay subnet.",
  "x-kubernetes-validations": [
    {
      rule: "self.groupSize <= self.nodes",
      message: "groupSize must be at most nodes: lower spec.groupSize or raise spec.nodes",
      fieldPath: ".groupSize",
    },
    {
      rule: "!has(self.threshold) || self.threshold <= self.groupSize",
      message: "threshold must be at most groupSize: lower spec.threshold or raise spec.groupSize",
      fieldPath: ".threshold",
    },
    {
      // The default threshold, a strict majority, always passes.
      rule: "!has(self.threshold) || (has(self.unsafeAllowMinorityThreshold) && self.unsafeAllowMinorityThreshold) || 2 * self.threshold > self.groupSize",
      message:
        "threshold is at most half of groupSize, so the groupSize - threshold members a group may lose to byzantine faults reach it by themselves: raise spec.threshold above groupSize/2, or set spec.unsafeAllowMinorityThreshold: true for a network meant to run without a byzantine budget",
      fieldPath: ".threshold",
    },
    {
      rule: "!has(self.consensus) || !has(self.consensus.threshold) || self.consensus.threshold <= self.groupSize",
      message: "consensus.threshold must be at most groupSize: lower spec.consensus.threshold or raise spec.groupSize",
      fieldPath: ".consensus.threshold",
    },
    {
      // Without a consensus block the defaults hold, and they are safe for every groupSize.
      rule: "!has(self.consensus) || (has(self.consensus.unsafeAllowForks) && self.consensus.unsafeAllowForks) || 2 * (has(self.consensus.threshold) ? self.consensus.threshold : 2 * self.groupSize / 3 + 1) - self.groupSize > (has(self.consensus.faultBudget) ? self.consensus.faultBudget : (self.groupSize - 1) / 3)",
      message:
        "consensus.threshold lets consensus.faultBudget byzantine notaries finalize two blocks at one height (safe needs 2*threshold - groupSize > faultBudget): raise spec.consensus.threshold, lower spec.consensus.faultBudget, or set spec.consensus.unsafeAllowForks: true for a network meant to fork",
      fieldPath: ".consensus.threshold",
    },
    {
      rule: "!has(self.consensus) || self.groupSize - (has(self.consensus.threshold) ? self.consensus.threshold : 2 * self.groupSize / 3 + 1) >= (has(self.consensus.faultBudget) ? self.consensus.faultBudget : (self.groupSize - 1) / 3)",
      message: "consensus.faultBudget is more than groupSize - threshold, so that many silent notaries stop finality: lower spec.consensus.faultBudget or spec.consensus.threshold",
      fieldPath: ".consensus.faultBudget",
    },
    {
      // A transition rule: the API server checks it on updates only.
      rule: "self.topologyChange == 'NewNetwork' || (self.nodes == oldSelf.nodes && self.groups == oldSelf.groups && self.groupSize == oldSelf.groupSize && has(self.threshold) == has(oldSelf.threshold) && (!has(self.threshold) || self.threshold == oldSelf.threshold) && has(self.genesisSeed) == has(oldSelf.genesisSeed) && (!has(self.genesisSeed) || self.genesisSeed == oldSelf.genesisSeed))",
      message:
        "changing nodes, groups, groupSize, threshold or genesisSeed starts a new network (a new genesis; the chain starts again at round 1): set spec.topologyChange: NewNetwork in the same update to do that, or keep the old values",
    },
    {
      rule: "!has(self.faults) || !has(self.faults.byzantine) || self.faults.byzantine.count <= self.nodes",
      message: "faults.byzantine.count must be at most nodes: lower the count",
      fieldPath: ".faults.byzantine.count",
    },
    {
      rule: "!has(self.placement) || !has(self.placement.maxPerDataCenter) || !has(self.dataCenters.names) || self.placement.maxPerDataCenter * size(self.dataCenters.names) >= self.nodes",
      message: "the named data centers cannot hold every node at placement.maxPerDataCenter each: add data centers, raise maxPerDataCenter or lower nodes",
      fieldPath: ".placement.maxPerDataCenter",
    },
  ],
});
/** A Subnet spec as written: every defaulted field may be left out. */
export type SubnetSpec = z.input<typeof SubnetSpecSchema>;
/** A Subnet spec after the schema defaults (as the API server stores it). */
export type DefaultedSubnetSpec = z.output<typeof SubnetSpecSchema>;
export type SubnetTimings = NonNullable<SubnetSpec["timings"]>;

/** Lifecycle summary of a Subnet, for humans; conditions carry the detail. */
export const SUBNET_PHASES = ["Pending", "Starting", "Running", "Stalled", "Degraded", "Paused", "Failed"] as const;
export type SubnetPhase = (typeof SUBNET_PHASES)[number];

/** Where this subnet's nodes run: a contiguous index range per data center. */
const DataCenterPlacementStatusSchema = z
  .object({
    dataCenter: z.string().describe("DataCenter name."),
    firstIndex: integer("First node index placed there.").min(0),
    nodes: integer("Nodes placed there.").min(0),
    readyNodes: integer("Of those, ready.").min(0),
  })
  .describe("One data center's share.");

/** Observed state of a Subnet, written by the operator. */
export const SubnetStatusSchema = z
  .object({
    observedGeneration: integer("metadata.generation this status describes.").min(0).optional(),
    phase: z.enum(SUBNET_PHASES).optional().describe("Lifecycle summary."),
    conditions: ConditionsSchema.optional(),
    nodes: integer("Nodes placed.").min(0).optional(),
    readyNodes: integer("Nodes whose /readyz passes.").min(0).optional(),
    round: integer("Highest beacon round accepted by a reachable node.").min(0).optional(),
    roundLatencyP50Ms: z.number().min(0).optional().describe("Median round latency across reachable nodes, in milliseconds (the pacing holds it at the round period or above)."),
    signingLatencyP50Ms: z
      .number()
      .min(0)
      .optional()
      .describe("Median signing latency across reachable nodes, in milliseconds: from opening a round to accepting its beacon, pacing excluded. Its distance below the round period is the headroom."),
    /** The maximum over nodes: every node sees a subnet-wide stall. */
    stallEvents: integer("Stall events seen so far.").min(0).optional(),
    finalizedHeight: integer("Highest finalized block height.").min(0).optional(),
    placement: kube(z.array(DataCenterPlacementStatusSchema), {
      description: "Nodes per data center.",
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["dataCenter"],
    }).optional(),
    genesisHash: z.string().optional().describe("sha256 of the genesis document in use; a new value means a new network."),
    expiresAt: kube(z.string(), { description: "When spec.ttlSeconds deletes the Subnet.", format: "date-time" }).optional(),
  })
  .describe("Observed state, written by the operator.");
export type SubnetStatus = z.input<typeof SubnetStatusSchema>;

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
