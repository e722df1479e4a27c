// SPDX-License-Identifier: Apache-2.0
/** Condition bookkeeping (apimachinery's meta.SetStatusCondition): lastTransitionTime moves only when status flips. */
import type { Condition, ConditionStatus } from "../../api/index.js";

export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/**
 * The new condition list: one entry per input, each stamped with `generation`, keeping the
 * previous lastTransitionTime of a type whose status did not change. Order follows `inputs`.
 */
export function setConditions(previous: readonly Condition[] | undefined, inputs: readonly ConditionInput[], generation: number, nowIso: string): Condition[] {
  return inputs.map((c) => {
    const prev = previous?.find((p) => p.type === c.type);
    const lastTransitionTime = prev !== undefined && prev.status === c.status ? prev.lastTransitionTime : nowIso;
    return { type: c.type, status: c.status, observedGeneration: generation, lastTransitionTime, reason: c.reason, message: c.message };
  });
}

/** The condition of `type`, if present. */
export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Conditions whose status or reason differs between two lists (a new type counts as changed): the transitions worth an Event. */
export function changedConditions(before: readonly Condition[] | undefined, after: readonly Condition[]): Condition[] {
  return after.filter((c) => {
    const prev = findCondition(before, c.type);
    return prev?.status !== c.status || prev.reason !== c.reason;
  });
}
