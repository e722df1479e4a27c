// SPDX-License-Identifier: Apache-2.0
/**
 * CustomResourceDefinitions of Subnet, DataCenter and ChaosExperiment, generated from the zod definitions in
 * v1alpha1/ (the one source of truth; the chart renders these). Cross-field rules are CEL
 * validations attached there, whose messages say what to fix, so the API server rejects a bad
 * spec before the operator sees it; local admission evaluates the same rules.
 */
import type { z } from "zod";
import {
  CHAOS_KIND,
  CHAOS_PLURAL,
  CHAOS_SHORT_NAMES,
  CHAOS_SINGULAR,
  ChaosExperimentSpecSchema,
  ChaosExperimentStatusSchema,
  DATACENTER_KIND,
  DATACENTER_PLURAL,
  DATACENTER_SHORT_NAMES,
  DATACENTER_SINGULAR,
  DataCenterSpecSchema,
  DataCenterStatusSchema,
  GROUP,
  MAX_DATACENTER_NAME,
  MAX_SUBNET_NAME,
  SUBNET_KIND,
  SUBNET_PLURAL,
  SUBNET_SHORT_NAMES,
  SUBNET_SINGULAR,
  SubnetStatusSchema,
  VERSION,
  subnetSpecSchema,
} from "./index.js";
import { structuralSchema, type JSONSchemaProps, type ValidationRule } from "./structural.js";

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
  status: z.ZodType;
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
            openAPIV3Schema: {
              type: "object",
              description: args.description,
              properties: {
                apiVersion: { type: "string", description: "API version." },
                kind: { type: "string", description: "Kind." },
                metadata: { type: "object" },
                spec: args.spec,
                status: structuralSchema(args.status, "status"),
              },
              required: ["spec"],
              "x-kubernetes-validations": nameRule(args.kind, args.maxName),
            },
          },
          subresources: { status: {} },
          additionalPrinterColumns: [...args.columns, { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" }],
        },
      ],
    },
  };
}

/** The CRDs of relaylab.dev/v1alpha1: Subnet, DataCenter, then ChaosExperiment. Pure; the chart and tests render it. */
export function crdManifests(): CustomResourceDefinition[] {
  return [
    crd({
      kind: SUBNET_KIND,
      plural: SUBNET_PLURAL,
      singular: SUBNET_SINGULAR,
      shortNames: SUBNET_SHORT_NAMES,
      scope: "Namespaced",
      description: "A Threshold Relay subnet run by the relaylab operator.",
      spec: subnetSpecSchema(),
      status: SubnetStatusSchema,
      maxName: MAX_SUBNET_NAME,
      columns: [
        { name: "Nodes", type: "integer", jsonPath: ".spec.nodes", description: "Desired nodes." },
        { name: "Ready", type: "integer", jsonPath: ".status.readyNodes", description: "Ready nodes." },
        { name: "Round", type: "integer", jsonPath: ".status.round", description: "Current beacon round." },
        { name: "Latency", type: "number", jsonPath: ".status.roundLatencyP50Ms", description: "Round latency p50 in milliseconds." },
        { name: "Signing", type: "number", jsonPath: ".status.signingLatencyP50Ms", description: "Signing latency p50 in milliseconds (pacing excluded)." },
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
      spec: structuralSchema(DataCenterSpecSchema, "spec"),
      status: DataCenterStatusSchema,
      maxName: MAX_DATACENTER_NAME,
      columns: [
        { name: "Region", type: "string", jsonPath: ".spec.region" },
        { name: "Nodes", type: "integer", jsonPath: ".status.nodes", description: "relaylab nodes hosted." },
        { name: "Capacity", type: "integer", jsonPath: ".spec.capacity.maxNodes" },
        { name: "Outage", type: "boolean", jsonPath: ".spec.outage" },
      ],
    }),
    crd({
      kind: CHAOS_KIND,
      plural: CHAOS_PLURAL,
      singular: CHAOS_SINGULAR,
      shortNames: CHAOS_SHORT_NAMES,
      scope: "Namespaced",
      description: "A chaos experiment the relaylab operator runs on a new Subnet, judged by its expectations.",
      spec: structuralSchema(ChaosExperimentSpecSchema, "spec"),
      status: ChaosExperimentStatusSchema,
      // The experiment's Subnet takes its name.
      maxName: MAX_SUBNET_NAME,
      columns: [
        { name: "Phase", type: "string", jsonPath: ".status.phase", description: "Pending, Running, Succeeded or Failed." },
        { name: "Round", type: "integer", jsonPath: ".status.round", description: "Highest round checked." },
        { name: "Rounds", type: "integer", jsonPath: ".spec.rounds", description: "Run length." },
        { name: "Passed", type: "integer", jsonPath: ".status.passed", description: "Expectations met." },
        { name: "Failed", type: "integer", jsonPath: ".status.failed", description: "Expectations not met." },
        { name: "Subnet", type: "string", jsonPath: ".status.subnet", priority: 1 },
      ],
    }),
  ];
}
