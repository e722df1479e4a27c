// SPDX-License-Identifier: Apache-2.0
/**
 * DataCenter (cluster-scoped): a place nodes run, with Kubernetes placement, a capacity, and a
 * network profile the nodes emulate (latency and jitter to other data centers, loss, bandwidth,
 * a full outage). Network changes reach running nodes through their control API.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { DNS_LABEL_PATTERN, integer, kube, stringMap } from "../structural.js";
import { TolerationSchema, type ObjectMeta } from "./meta.js";
import { ConditionsSchema } from "./conditions.js";
import { MAX_NODES } from "./group.js";

export const DATACENTER_KIND = "DataCenter";
export const DATACENTER_PLURAL = "datacenters";
export const DATACENTER_SINGULAR = "datacenter";
export const DATACENTER_SHORT_NAMES = ["dc"] as const;
/** Finalizer holding a DataCenter while Subnets still run nodes in it (an operator watching all namespaces). */
export const DATACENTER_FINALIZER = "relaylab.dev/in-use";

/**
 * The finalizer an operator holds a DataCenter with. DataCenters are cluster-scoped, but an
 * operator limited to one namespace (operator.watchNamespace) sees only that namespace's nodes, so
 * each such operator holds its own finalizer and releases only it: operators of different
 * namespaces never take away each other's hold.
 */
export function dataCenterFinalizer(namespace?: string): string {
  if (namespace === undefined) return DATACENTER_FINALIZER;
  const name = `in-use-${namespace}`;
  // A finalizer's name part is at most 63 characters; a long namespace is named by its hash.
  return `relaylab.dev/${name.length <= 63 ? name : `in-use-${createHash("sha256").update(namespace).digest("hex").slice(0, 24)}`}`;
}
/** What a data center spreads one subnet's pods across when its placement names no topology labels. */
export const DEFAULT_TOPOLOGY_LABELS = ["kubernetes.io/hostname"] as const;

/** Desired state of a DataCenter: where its pods go, how many nodes it takes, the network it emulates. */
export const DataCenterSpecSchema = z
  .object({
    region: z.string().optional().describe("Free-form region name, for humans and dashboards."),
    placement: z
      .object({
        nodeSelector: stringMap("Kubernetes node labels the pods require.", 32).optional(),
        tolerations: z.array(TolerationSchema).max(32).optional().describe("Tolerations added to the pods."),
        /** Spreads one subnet's pods within this data center. */
        topologyLabels: kube(z.array(z.string().describe("A node label key.")).max(8), {
          description: "Node label keys to spread one subnet's pods across. Unset spreads them across kubernetes.io/hostname; an empty list does not spread.",
          "x-kubernetes-list-type": "set",
        }).optional(),
      })
      .optional()
      .describe("Kubernetes placement of this data center's pods."),
    capacity: z
      .object({ maxNodes: integer("Most relaylab nodes hosted here; unset means unlimited.").min(0).max(MAX_NODES).optional() })
      .optional()
      .describe("Capacity over all Subnets."),
    /**
     * Latency between data centers A and B is `max(A.latencyMs[B], B.latencyMs[A])` one way; loss,
     * jitter and bandwidth apply to every link of this data center's nodes.
     */
    network: z
      .object({
        latencyMs: kube(z.record(z.string(), integer("Milliseconds.").min(0).max(600000)), {
          description: "One-way latency in milliseconds to other data centers (or this one), by DataCenter name.",
          maxProperties: 64,
          "x-kubernetes-validations": [
            { rule: `self.all(k, k.matches('${DNS_LABEL_PATTERN}'))`, message: "latencyMs keys must be DataCenter names (lowercase letters, digits, '-')" },
          ],
        }).optional(),
        jitterMs: integer("Random extra delay up to this many milliseconds.").min(0).max(600000).optional(),
        loss: z.number().min(0).max(1).optional().describe("Probability 0..1 that a message is dropped."),
        bandwidthBps: integer("Bytes per second cap per link; 0 means no cap.").min(0).optional(),
      })
      .optional()
      .describe("Emulated network, applied by the nodes' transport without restarting them."),
    outage: z.boolean().default(false).describe("Cut every node here off from every peer."),
  })
  .describe("A place nodes run and the network it emulates.");
export type DataCenterSpec = z.input<typeof DataCenterSpecSchema>;

/** Observed state of a DataCenter, written by the operator. */
export const DataCenterStatusSchema = z
  .object({
    observedGeneration: integer("metadata.generation this status describes.").min(0).optional(),
    conditions: ConditionsSchema.optional(),
    nodes: integer("relaylab nodes placed here over all Subnets.").min(0).optional(),
    subnets: kube(z.array(z.string().describe("namespace/name")), { description: "Subnets with nodes here, as namespace/name.", "x-kubernetes-list-type": "set" }).optional(),
  })
  .describe("Observed state, written by the operator.");
export type DataCenterStatus = z.input<typeof DataCenterStatusSchema>;

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
