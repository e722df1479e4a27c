// SPDX-License-Identifier: Apache-2.0
/**
 * Metric names exported by the relaylab operator. A contract shared with dashboards, alert
 * rules and tests, like the node's names in @relaylab/node/metrics-names.
 */
export const OPERATOR_METRICS = {
  /** counter: reconciles by controller and result. */
  reconcile: "relaylab_operator_reconcile_total",
  /** histogram (s): one reconcile, by controller. */
  reconcileDuration: "relaylab_operator_reconcile_duration_seconds",
  /** gauge: keys waiting in the work queue, by controller. */
  queueDepth: "relaylab_operator_queue_depth",
  /** gauge 0/1: whether this replica holds the leader lease. */
  leader: "relaylab_operator_leader",
  /** counter: identity key requests from node pods to the key service, by outcome. */
  identityRequests: "relaylab_operator_identity_requests_total",
} as const;

export const OPERATOR_LABELS = { controller: "controller", result: "result", outcome: "outcome" } as const;
/** How the key service answered a node pod: every refusal is counted under its reason. */
export const IDENTITY_OUTCOMES = ["delivered", "malformed", "unauthenticated", "forbidden", "unknown_subnet", "error"] as const;
export type IdentityOutcome = (typeof IDENTITY_OUTCOMES)[number];
export const CONTROLLERS = ["subnet", "datacenter", "chaos"] as const;
export type ControllerName = (typeof CONTROLLERS)[number];
export const RECONCILE_RESULTS = ["success", "error", "requeue", "terminal"] as const;
export type ReconcileResult = (typeof RECONCILE_RESULTS)[number];
