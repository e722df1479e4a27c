// SPDX-License-Identifier: Apache-2.0
/** RBAC PolicyRule shape; each module that calls the API exports the rules it needs next to the calls. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** Merges rules with the same apiGroups and resources, de-duplicating and sorting verbs. */
export function mergeRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const byTarget = new Map<string, PolicyRule>();
  for (const r of rules) {
    const key = `${[...r.apiGroups].sort().join(",")}|${[...r.resources].sort().join(",")}`;
    const prev = byTarget.get(key);
    byTarget.set(key, { apiGroups: [...r.apiGroups].sort(), resources: [...r.resources].sort(), verbs: [...new Set([...(prev?.verbs ?? []), ...r.verbs])].sort() });
  }
  return [...byTarget.values()].sort((a, b) => `${a.apiGroups.join()}/${a.resources.join()}`.localeCompare(`${b.apiGroups.join()}/${b.resources.join()}`));
}
