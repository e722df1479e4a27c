// SPDX-License-Identifier: Apache-2.0
/**
 * Status conditions in the shape of metav1.Condition: a list keyed on `type`, each carrying the
 * generation it was computed from, so readers can tell stale status from fresh.
 */

export type ConditionStatus = "True" | "False" | "Unknown";

/** One status condition; `reason` is CamelCase, `message` says what to do. */
export interface Condition {
  type: string;
  status: ConditionStatus;
  observedGeneration?: number;
  /** RFC 3339; changes only when `status` flips. */
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** Reasons must match metav1.Condition's pattern; checked by tests for every reason constant. */
export const CONDITION_REASON_PATTERN = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
