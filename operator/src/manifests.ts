// SPDX-License-Identifier: Apache-2.0
/**
 * What the chart renders from code: the CRDs, the operator's exact RBAC, and the labels and port
 * names of the node pods it creates. The rules are
 * collected from the modules that make the calls, so they stay true as the code changes; the
 * real-API-server suite runs the operator under exactly these rules.
 */
import { CHAOS_CONTROLLER_RULES } from "./operator/controller/chaos.js";
import { DATACENTER_CONTROLLER_RULES } from "./operator/controller/datacenter.js";
import { SUBNET_CONTROLLER_RULES } from "./operator/controller/subnet.js";
import { KEY_SERVICE_RULES } from "./operator/key-service.js";
import { EVENT_RULES } from "./operator/runtime/events.js";
import { LEADER_ELECTION_RULES } from "./operator/runtime/leader.js";
import type { PolicyRule } from "./operator/runtime/rbac.js";
import { mergeRules } from "./operator/runtime/rbac.js";

export { crdManifests } from "./api/crd.js";
export { nodePodContract } from "./resources/names.js";
export type { CustomResourceDefinition, PrinterColumn } from "./api/crd.js";
export type { JSONSchemaProps, ValidationRule } from "./api/structural.js";
export type { PolicyRule } from "./operator/runtime/rbac.js";

/**
 * The PolicyRules of the operator's ClusterRole, merged and sorted. Leader election needs its
 * Lease only in the operator's namespace; the chart may split that rule into a Role.
 */
export function operatorRbacRules(): PolicyRule[] {
  return mergeRules([...SUBNET_CONTROLLER_RULES, ...DATACENTER_CONTROLLER_RULES, ...CHAOS_CONTROLLER_RULES, ...KEY_SERVICE_RULES, ...EVENT_RULES, ...LEADER_ELECTION_RULES]);
}

/** The leader-election rule alone (for a namespaced Role). */
export function leaderElectionRules(): PolicyRule[] {
  return mergeRules(LEADER_ELECTION_RULES);
}
