// SPDX-License-Identifier: Apache-2.0
/**
 * The few Kubernetes core shapes the relaylab API embeds, as plain shapes. client-node models
 * them as classes; plain shapes keep this API free of a client library and let YAML, JSON and
 * object literals be used directly. Object metadata is the API server's; the shapes a spec
 * embeds are zod definitions, so they reach the CRD schema.
 */
import { z } from "zod";
import { integer, kube, stringMap } from "../structural.js";

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}

/** Kubernetes label selector (matchLabels + matchExpressions), matched as a whole. */
export const LabelSelectorSchema = kube(
  z.object({
    matchLabels: stringMap("Labels that must all match.", 32).optional(),
    matchExpressions: z
      .array(
        kube(
          z.object({
            key: z.string().describe("Label key."),
            operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]).describe("How the key relates to the values."),
            values: z.array(z.string().describe("A label value.")).max(64).optional().describe("Values for In and NotIn."),
          }),
          {
            description: "One requirement.",
            // The rules metav1.LabelSelector validation applies, so a selector means the same here and in kubectl.
            "x-kubernetes-validations": [
              {
                rule: "!(self.operator in ['In', 'NotIn']) || (has(self.values) && size(self.values) > 0)",
                message: "operators In and NotIn need values: list at least one value",
                fieldPath: ".values",
              },
              {
                rule: "self.operator in ['In', 'NotIn'] || !has(self.values) || size(self.values) == 0",
                message: "operators Exists and DoesNotExist take no values: remove values",
                fieldPath: ".values",
              },
            ],
          },
        ),
      )
      .max(16)
      .optional()
      .describe("Set-based requirements that must all match."),
  }),
  { "x-kubernetes-map-type": "atomic" },
);
export type LabelSelector = z.input<typeof LabelSelectorSchema>;

/** A core/v1 Toleration. */
export const TolerationSchema = kube(
  z.object({
    key: z.string().optional().describe("Taint key."),
    operator: z.enum(["Exists", "Equal"]).optional().describe("Exists or Equal."),
    value: z.string().optional().describe("Taint value."),
    effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional().describe("Taint effect."),
    tolerationSeconds: integer("For NoExecute: how long the pod stays bound.").optional(),
  }),
  {
    description: "A core/v1 Toleration.",
    // Pod validation refuses this too, but only when the StatefulSet makes its first pod: refuse it at the DataCenter.
    "x-kubernetes-validations": [
      {
        rule: "!has(self.operator) || self.operator != 'Exists' || !has(self.value) || self.value == ''",
        message: "a toleration with operator Exists matches every value: remove value",
        fieldPath: ".value",
      },
    ],
  },
);

/** A resource quantity: "500m", "1Gi" or a plain number. */
const quantities = (description: string) => z.record(z.string(), z.union([z.string(), z.number()])).optional().describe(description);

export const ResourceRequirementsSchema = z
  .object({ requests: quantities("Minimum resources."), limits: quantities("Maximum resources.") })
  .describe("Node container resources.");
