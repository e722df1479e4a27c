// SPDX-License-Identifier: Apache-2.0
/**
 * Status conditions in the shape of metav1.Condition: a list keyed on `type`, each carrying the
 * generation it was computed from, so readers can tell stale status from fresh.
 */
import { z } from "zod";
import { integer, kube } from "../structural.js";

/** Reasons must match metav1.Condition's pattern; checked by tests for every reason constant. */
export const CONDITION_REASON_PATTERN = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;

/** One status condition; `reason` is CamelCase, `message` says what to do. */
const ConditionSchema = z
  .object({
    type: z.string().max(316).describe("Condition type, e.g. Ready."),
    status: z.enum(["True", "False", "Unknown"]).describe("True, False or Unknown."),
    observedGeneration: integer("metadata.generation the condition was computed from.").min(0).optional(),
    /** RFC 3339; changes only when `status` flips. */
    lastTransitionTime: kube(z.string(), { description: "When status last changed.", format: "date-time" }),
    reason: z.string().max(1024).min(1).regex(CONDITION_REASON_PATTERN).describe("CamelCase reason."),
    message: z.string().max(32768).describe("Human-readable detail: what is wrong and what to do."),
  })
  .describe("A metav1.Condition.");
export type Condition = z.input<typeof ConditionSchema>;
export type ConditionStatus = Condition["status"];

/** metav1.Condition list, keyed on `type`. */
export const ConditionsSchema = kube(z.array(ConditionSchema), {
  description: "Current state, one entry per condition type.",
  "x-kubernetes-list-type": "map",
  "x-kubernetes-list-map-keys": ["type"],
});
