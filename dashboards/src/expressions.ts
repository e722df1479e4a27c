// SPDX-License-Identifier: Apache-2.0
/**
 * Every PromQL expression relaylab ships, dashboards and alert rules alike, for checks that run
 * them: the metric-name test here, and a live check against a Prometheus scraping a testnet
 * (substitute Grafana's variables with expandVariables() from ./queries.js first).
 */
import { alertRuleGroups } from "./alerts.js";
import { DASHBOARDS } from "./dashboards.js";
import { dashboardQueries, type DashboardQuery } from "./queries.js";

/** Queries of every dashboard, in dashboard then layout order. */
export function allDashboardQueries(): DashboardQuery[] {
  return Object.values(DASHBOARDS).flatMap((build) => dashboardQueries(JSON.parse(JSON.stringify(build())) as unknown));
}

/** One alert rule's expression. */
export interface AlertExpression {
  readonly alert: string;
  readonly severity: string;
  readonly expr: string;
}

/** Expressions of every alert rule. */
export function allAlertExpressions(): AlertExpression[] {
  return alertRuleGroups().flatMap((g) => g.rules.map((r) => ({ alert: r.alert, severity: r.labels.severity, expr: r.expr })));
}
