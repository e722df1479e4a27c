// SPDX-License-Identifier: Apache-2.0
/**
 * CustomResourceDefinitions of Subnet and DataCenter, generated from the types in v1alpha1/ (the
 * one source of truth; the chart renders these). Cross-field rules are CEL validations whose
 * messages say what to fix, so the API server rejects a bad spec before the operator sees it.
 */
import {
  BYZANTINE_BEHAVIOURS,
  DATACENTER_KIND,
  DATACENTER_PLURAL,
  DATACENTER_SHORT_NAMES,
  DATACENTER_SINGULAR,
  DEFAULT_NODE_IMAGE,
  DEFAULT_SPREAD,
  DEFAULT_TIMINGS,
  GROUP,
  MAX_DATACENTER_NAME,
  MAX_SUBNET_NAME,
  SPREAD_MODES,
  SUBNET_KIND,
  SUBNET_PHASES,
  SUBNET_PLURAL,
  SUBNET_SHORT_NAMES,
  SUBNET_SINGULAR,
  VERSION,
} from "./index.js";
import type { JSONSchemaProps, ValidationRule } from "./schema.js";
import { DNS_LABEL_PATTERN, arr, bool, conditionsSchema, int, labelSelectorSchema, num, obj, str, stringMap } from "./schema.js";

/** A CustomResourceDefinition as plain JSON (apiextensions.k8s.io/v1). */
export interface CustomResourceDefinition {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec: {
    group: string;
    scope: "Namespaced" | "Cluster";
    names: { kind: string; plural: string; singular: string; shortNames: string[]; listKind: string; categories: string[] };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: JSONSchemaProps };
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
    }[];
  };
}

export interface PrinterColumn {
  name: string;
  type: "integer" | "number" | "string" | "boolean" | "date";
  jsonPath: string;
  description?: string;
  priority?: number;
}

const CATEGORIES = ["relaylab"];
const MAX_NODES = 10000;

const timingMs = (description: string, def: number, min: number): JSONSchemaProps => int(`${description} Milliseconds.`, { minimum: min, default: def });

const subnetSpec = obj(
  "Desired state of a Threshold Relay subnet.",
  {
    nodes: int("Number of nodes (members).", { minimum: 1, maximum: MAX_NODES }),
    groups: int("Number of groups formed at genesis and at every epoch.", { minimum: 1, maximum: 1024 }),
    groupSize: int("Members per group; at most nodes.", { minimum: 1, maximum: MAX_NODES }),
    threshold: int("Signatures needed per group; at most groupSize. Defaults to a strict majority, floor(groupSize/2)+1.", { minimum: 1, maximum: MAX_NODES }),
    consensus: obj("Block finality: notarization and finalization threshold and the byzantine notaries it must survive.", {
      threshold: int("Shares a block needs from its group's notaries; safe while 2*threshold - groupSize > faultBudget. Defaults to floor(2*groupSize/3)+1.", { minimum: 1, maximum: MAX_NODES }),
      faultBudget: int("Byzantine notaries per group that finality survives (written to genesis). Defaults to floor((groupSize-1)/3).", { minimum: 0, maximum: MAX_NODES }),
      unsafeAllowForks: bool("Accept a threshold that lets faultBudget byzantine notaries finalize two blocks at one height. Fork experiments only.", { default: false }),
    }),
    dataCenters: obj(
      "Which DataCenters host the nodes: exactly one of names (placement order) or selector (sorted by name).",
      {
        names: arr("DataCenter names, in placement order.", str("A DataCenter name.", { pattern: DNS_LABEL_PATTERN, maxLength: MAX_DATACENTER_NAME }), {
          minItems: 1,
          maxItems: 64,
          "x-kubernetes-list-type": "set",
        }),
        selector: labelSelectorSchema("Label selector over DataCenters."),
      },
      { "x-kubernetes-validations": [{ rule: "has(self.names) != has(self.selector)", message: "set exactly one of dataCenters.names and dataCenters.selector" }] },
    ),
    placement: obj(
      "How nodes are spread over the data centers.",
      {
        spread: str("Even: as equal as capacity allows. Pack: fill each data center in order.", { enum: SPREAD_MODES, default: DEFAULT_SPREAD }),
        maxPerDataCenter: int("At most this many of this subnet's nodes per data center.", { minimum: 1, maximum: MAX_NODES }),
      },
      { default: {} },
    ),
    timings: obj(
      "Protocol timings; the same names and units as the genesis document.",
      {
        minRoundPeriodMs: timingMs("Minimum time between accepting B(r-1) and signing round r; 0 runs as fast as possible.", DEFAULT_TIMINGS.minRoundPeriodMs, 0),
        shareRetransmitMs: timingMs("How often a member re-sends its share while a round is open.", DEFAULT_TIMINGS.shareRetransmitMs, 1),
        stallTimeoutMs: timingMs("A round open longer than this is a stall event.", DEFAULT_TIMINGS.stallTimeoutMs, 1),
        dkgTimeoutMs: timingMs("A group whose DKG has not finished by then is not registered.", DEFAULT_TIMINGS.dkgTimeoutMs, 1),
      },
      { default: {} },
    ),
    epochLength: int("Rounds per epoch; 0 keeps the genesis groups forever.", { minimum: 0, default: 0 }),
    image: str("Node container image.", { default: DEFAULT_NODE_IMAGE, minLength: 1 }),
    resources: obj("Node container resources.", {
      requests: { type: "object", description: "Minimum resources.", additionalProperties: { "x-kubernetes-int-or-string": true } },
      limits: { type: "object", description: "Maximum resources.", additionalProperties: { "x-kubernetes-int-or-string": true } },
    }),
    storage: obj("Node data volume; without size an emptyDir is used.", {
      size: str("PersistentVolumeClaim size, e.g. 1Gi.", { pattern: "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$" }),
      storageClassName: str("StorageClass of the claim."),
    }),
    faults: obj("Faults for chaos experiments, pushed to nodes through their control API.", {
      byzantine: obj(
        "Byzantine members: the highest node indices misbehave.",
        {
          count: int("How many members misbehave.", { minimum: 0, maximum: MAX_NODES }),
          behaviour: str("What they do.", { enum: BYZANTINE_BEHAVIOURS }),
          selectivePeers: arr("For SelectiveShares: indices that still receive shares.", int("A node index.", { minimum: 0 }), { maxItems: 1024 }),
        },
        { required: ["count", "behaviour"] },
      ),
    }),
    paused: bool("Stop changing children (they keep running); status still updates.", { default: false }),
    ttlSeconds: int("Delete the Subnet this many seconds after its creation (a janitor for CI clusters); unset keeps it until deleted.", { minimum: 1 }),
  },
  {
    required: ["nodes", "groups", "groupSize", "dataCenters"],
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
  },
);

const subnetStatus = obj("Observed state, written by the operator.", {
  observedGeneration: int("metadata.generation this status describes.", { minimum: 0 }),
  phase: str("Lifecycle summary.", { enum: SUBNET_PHASES }),
  conditions: conditionsSchema(),
  nodes: int("Nodes placed.", { minimum: 0 }),
  readyNodes: int("Nodes whose /readyz passes.", { minimum: 0 }),
  round: int("Highest beacon round accepted by a reachable node.", { minimum: 0 }),
  roundLatencyP50Ms: num("Median round latency across reachable nodes, in milliseconds.", { minimum: 0 }),
  stallEvents: int("Stall events seen so far.", { minimum: 0 }),
  finalizedHeight: int("Highest finalized block height.", { minimum: 0 }),
  placement: arr(
    "Nodes per data center.",
    obj(
      "One data center's share.",
      {
        dataCenter: str("DataCenter name."),
        firstIndex: int("First node index placed there.", { minimum: 0 }),
        nodes: int("Nodes placed there.", { minimum: 0 }),
        readyNodes: int("Of those, ready.", { minimum: 0 }),
      },
      { required: ["dataCenter", "firstIndex", "nodes", "readyNodes"] },
    ),
    { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["dataCenter"] },
  ),
  genesisHash: str("sha256 of the genesis document in use; a new value means a new network."),
  expiresAt: str("When spec.ttlSeconds deletes the Subnet.", { format: "date-time" }),
});

const dataCenterSpec = obj("A place nodes run and the network it emulates.", {
  region: str("Free-form region name, for humans and dashboards."),
  placement: obj("Kubernetes placement of this data center's pods.", {
    nodeSelector: stringMap("Kubernetes node labels the pods require.", { maxProperties: 32 }),
    tolerations: arr(
      "Tolerations added to the pods.",
      obj("A core/v1 Toleration.", {
        key: str("Taint key."),
        operator: str("Exists or Equal.", { enum: ["Exists", "Equal"] }),
        value: str("Taint value."),
        effect: str("Taint effect.", { enum: ["NoSchedule", "PreferNoSchedule", "NoExecute"] }),
        tolerationSeconds: int("For NoExecute: how long the pod stays bound."),
      }),
      { maxItems: 32 },
    ),
    topologyLabels: arr("Node label keys to spread one subnet's pods across, e.g. kubernetes.io/hostname.", str("A node label key."), {
      maxItems: 8,
      "x-kubernetes-list-type": "set",
    }),
  }),
  capacity: obj("Capacity over all Subnets.", { maxNodes: int("Most relaylab nodes hosted here; unset means unlimited.", { minimum: 0, maximum: MAX_NODES }) }),
  network: obj("Emulated network, applied by the nodes' transport without restarting them.", {
    latencyMs: {
      type: "object",
      description: "One-way latency in milliseconds to other data centers (or this one), by DataCenter name.",
      additionalProperties: int("Milliseconds.", { minimum: 0, maximum: 600000 }),
      maxProperties: 64,
      "x-kubernetes-validations": [
        { rule: "self.all(k, k.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'))", message: "latencyMs keys must be DataCenter names (lowercase letters, digits, '-')" },
      ],
    },
    jitterMs: int("Random extra delay up to this many milliseconds.", { minimum: 0, maximum: 600000 }),
    loss: num("Probability 0..1 that a message is dropped.", { minimum: 0, maximum: 1 }),
    bandwidthBps: int("Bytes per second cap per link; 0 means no cap.", { minimum: 0 }),
  }),
  outage: bool("Cut every node here off from every peer.", { default: false }),
});

const dataCenterStatus = obj("Observed state, written by the operator.", {
  observedGeneration: int("metadata.generation this status describes.", { minimum: 0 }),
  conditions: conditionsSchema(),
  nodes: int("relaylab nodes placed here over all Subnets.", { minimum: 0 }),
  subnets: arr("Subnets with nodes here, as namespace/name.", str("namespace/name"), { "x-kubernetes-list-type": "set" }),
});

const nameRule = (kind: string, max: number): ValidationRule[] => [
  {
    rule: `self.metadata.name.size() <= ${max}`,
    message: `${kind} names are at most ${max} characters (pod names join subnet, data center and node index): choose a shorter name`,
  },
];

function crd(args: {
  kind: string;
  plural: string;
  singular: string;
  shortNames: readonly string[];
  scope: "Namespaced" | "Cluster";
  description: string;
  spec: JSONSchemaProps;
  status: JSONSchemaProps;
  maxName: number;
  columns: PrinterColumn[];
}): CustomResourceDefinition {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${args.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: args.scope,
      names: { kind: args.kind, plural: args.plural, singular: args.singular, shortNames: [...args.shortNames], listKind: `${args.kind}List`, categories: CATEGORIES },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: obj(
              args.description,
              { apiVersion: str("API version."), kind: str("Kind."), metadata: { type: "object" }, spec: args.spec, status: args.status },
              { required: ["spec"], "x-kubernetes-validations": nameRule(args.kind, args.maxName) },
            ),
          },
          subresources: { status: {} },
          additionalPrinterColumns: [...args.columns, { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" }],
        },
      ],
    },
  };
}

/** The CRDs of relaylab.dev/v1alpha1: Subnet then DataCenter. Pure; the chart and tests render it. */
export function crdManifests(): CustomResourceDefinition[] {
  return [
    crd({
      kind: SUBNET_KIND,
      plural: SUBNET_PLURAL,
      singular: SUBNET_SINGULAR,
      shortNames: SUBNET_SHORT_NAMES,
      scope: "Namespaced",
      description: "A Threshold Relay subnet run by the relaylab operator.",
      spec: subnetSpec,
      status: subnetStatus,
      maxName: MAX_SUBNET_NAME,
      columns: [
        { name: "Nodes", type: "integer", jsonPath: ".spec.nodes", description: "Desired nodes." },
        { name: "Ready", type: "integer", jsonPath: ".status.readyNodes", description: "Ready nodes." },
        { name: "Round", type: "integer", jsonPath: ".status.round", description: "Current beacon round." },
        { name: "Latency", type: "number", jsonPath: ".status.roundLatencyP50Ms", description: "Round latency p50 in milliseconds." },
        { name: "Stalls", type: "integer", jsonPath: ".status.stallEvents", description: "Stall events." },
        { name: "Phase", type: "string", jsonPath: ".status.phase", description: "Lifecycle summary.", priority: 1 },
      ],
    }),
    crd({
      kind: DATACENTER_KIND,
      plural: DATACENTER_PLURAL,
      singular: DATACENTER_SINGULAR,
      shortNames: DATACENTER_SHORT_NAMES,
      scope: "Cluster",
      description: "A data center relaylab nodes run in, with the network it emulates.",
      spec: dataCenterSpec,
      status: dataCenterStatus,
      maxName: MAX_DATACENTER_NAME,
      columns: [
        { name: "Region", type: "string", jsonPath: ".spec.region" },
        { name: "Nodes", type: "integer", jsonPath: ".status.nodes", description: "relaylab nodes hosted." },
        { name: "Capacity", type: "integer", jsonPath: ".spec.capacity.maxNodes" },
        { name: "Outage", type: "boolean", jsonPath: ".spec.outage" },
      ],
    }),
  ];
}
