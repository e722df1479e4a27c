// SPDX-License-Identifier: Apache-2.0
/** Kubernetes label-selector matching (matchLabels and matchExpressions), as the API server does it. */
import type { LabelSelector } from "../api/index.js";

/** True when `labels` satisfy every term of `selector`; an empty selector matches everything. */
export function matchesLabelSelector(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    const values = e.values ?? [];
    switch (e.operator) {
      case "In":
        if (!has || value === undefined || !values.includes(value)) return false;
        break;
      case "NotIn":
        if (has && value !== undefined && values.includes(value)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        throw new Error(`label selector operator "${String(e.operator)}" is not one of In, NotIn, Exists, DoesNotExist`);
    }
  }
  return true;
}
