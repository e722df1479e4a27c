// SPDX-License-Identifier: Apache-2.0
/**
 * Prometheus alert rules for relaylab, as code. Rendered to dashboards/generated/alerts.yaml (a
 * Prometheus rule file) and into the chart's PrometheusRule; unit-tested with promtool.
 *
 * Node targets are recognised by their `subnet` label: the local runner's file_sd targets and
 * the chart's PodMonitor put subnet, data_center and node on every node target.
 */
import { DKG_RESULTS, LABELS, NODE_METRICS, type FaultKind } from "@relaylab/node/metrics-names";
import { OPERATOR_LABELS, OPERATOR_METRICS, type ReconcileResult } from "@relaylab/operator/metrics-names";
import { PROMETHEUS_SERIES, agg, eq, growth, has, leMatcher, quantile, rate, re, sel } from "./promql.js";
import { BY_SUBNET, NAMESPACE } from "./targets.js";

/** One Prometheus alerting rule. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly severity: "critical" | "warning" };
  readonly annotations: { readonly summary: string; readonly description: string; readonly runbook_url?: string };
}

/** The runbooks live in the repository, one file per alert: dashboards/runbooks/<alert>.md. */
export const RUNBOOKS_URL = "https://github.com/relaylab/relaylab/blob/main/dashboards/runbooks";
export const runbookUrl = (alert: string): string => `${RUNBOOKS_URL}/${alert}.md`;

/** A rule group as in a Prometheus rule file (and a PrometheusRule's spec.groups). */
export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

/** The round-latency service level objective the SLO alert defends. */
export const ROUND_LATENCY_SLO = {
  /** A round is good when it completes within this many seconds (must be a histogram bucket bound). */
  thresholdSeconds: 5,
  /** Share of rounds that must be good. */
  objective: 0.99,
} as const;

/**
 * Signing headroom: the group should sign well inside the round interval. When the signing p99 comes within this
 * share of the median round interval, the pacing no longer hides anything: one slower round and the subnet falls
 * behind its period.
 */
export const SIGNING_HEADROOM = {
  /** Alert when signing p99 exceeds this share of the median round interval. */
  maxShareOfRound: 0.8,
  window: "10m",
} as const;

/** Multi-window burn rates (Google SRE workbook): page on 2 % of a 30-day budget burnt in 1 h. */
const BURN_WINDOWS = [
  { severity: "critical", long: "1h", short: "5m", burnRate: 14.4 },
  { severity: "warning", long: "6h", short: "30m", burnRate: 6 },
] as const;

/**
 * How far apart live, fault-free nodes of a subnet may be before it counts as diverged: more
 * than this many rounds, and more than this many seconds of rounds at the subnet's current rate
 * (scrapes of different nodes are up to a scrape interval apart, so fast subnets show a spread).
 */
const MAX_ROUND_SPREAD = { rounds: 10, seconds: 60 } as const;

/** Consensus finalizing nothing for `window` while the beacon advances, held for `for`. */
const FINALIZATION_STALL = { window: "10m", for: "5m" } as const;

/** Injected faults under which a node legitimately trails its subnet. */
const LAGGING_FAULTS: readonly FaultKind[] = ["partition", "pause", "loss", "bandwidth"];

const S = LABELS.subnet;
const NODE_TARGETS = [has(S)];
const SUBNET = `{{ with $labels.${NAMESPACE} }}{{ . }}/{{ end }}{{ $labels.${S} }}`;

/** Share of a subnet's rounds slower than the SLO threshold over `window`. */
function slowRoundRatio(window: string): string {
  const h = NODE_METRICS.beaconRoundDuration;
  const good = agg("sum", BY_SUBNET, rate(`${h}_bucket`, [...NODE_TARGETS, leMatcher(ROUND_LATENCY_SLO.thresholdSeconds)], window));
  const all = agg("sum", BY_SUBNET, rate(`${h}_count`, NODE_TARGETS, window));
  return `(1 - ${good} / ${all})`;
}

function beaconRules(): AlertRule[] {
  // Rounds of nodes whose traffic is not cut or throttled on purpose (such a node is expected to
  // trail); delay stays in: the local runner emulates data-center latency with it on every node.
  const faulted = `(${sel(NODE_METRICS.faultsActive, [...NODE_TARGETS, re(LABELS.kind, LAGGING_FAULTS.join("|"))])} > 0)`;
  const rounds = `(${sel(NODE_METRICS.beaconRound, NODE_TARGETS)} unless on (instance) ${faulted})`;
  const spread = `(${agg("max", BY_SUBNET, rounds)} - ${agg("min", BY_SUBNET, rounds)})`;
  const roundRate = agg("avg", BY_SUBNET, rate(`${NODE_METRICS.beaconRoundDuration}_count`, NODE_TARGETS, "5m"));
  // toPrecision: 14.4 × (1 − 0.99) is 0.14400000000000002 in binary floating point.
  const ratio = (burnRate: number): number => Number((burnRate * (1 - ROUND_LATENCY_SLO.objective)).toPrecision(6));
  return [
    {
      alert: "RelaylabSubnetStalled",
      expr: `${agg("avg", BY_SUBNET, sel(NODE_METRICS.stalled, NODE_TARGETS))} > 0.5`,
      for: "1m",
      labels: { severity: "critical" },
      annotations: {
        summary: `Subnet ${SUBNET} beacon is stalled`,
        description: `{{ $value | humanizePercentage }} of subnet ${SUBNET}'s nodes report their current round open longer than the stall timeout: the selected group cannot reach its threshold of shares.`,
      },
    },
    {
      alert: "RelaylabBeaconHalted",
      expr: `${agg("max", BY_SUBNET, `changes(${sel(NODE_METRICS.beaconRound, NODE_TARGETS)}[5m])`)} == 0`,
      for: "5m",
      labels: { severity: "critical" },
      annotations: {
        summary: `Subnet ${SUBNET} accepted no beacon round for 10 minutes`,
        description: `No node of subnet ${SUBNET} advanced its beacon round in the last 10 minutes (stall detection itself may be stuck, e.g. every node paused).`,
      },
    },
    ...BURN_WINDOWS.map(
      (w): AlertRule => ({
        alert: "RelaylabRoundLatencySLOBurn",
        expr: `${slowRoundRatio(w.long)} > ${ratio(w.burnRate)} and ${slowRoundRatio(w.short)} > ${ratio(w.burnRate)}`,
        for: w.severity === "critical" ? "2m" : "15m",
        labels: { severity: w.severity },
        annotations: {
          summary: `Subnet ${SUBNET} burns its round-latency error budget ${w.burnRate}x too fast`,
          description: `{{ $value | humanizePercentage }} of subnet ${SUBNET}'s rounds took longer than ${ROUND_LATENCY_SLO.thresholdSeconds}s over the last ${w.long} (objective: ${ROUND_LATENCY_SLO.objective * 100}% within ${ROUND_LATENCY_SLO.thresholdSeconds}s).`,
        },
      }),
    ),
    {
      alert: "RelaylabSigningHeadroomLow",
      expr: `${quantile(0.99, NODE_METRICS.beaconSigning, NODE_TARGETS, BY_SUBNET, SIGNING_HEADROOM.window)} > ${SIGNING_HEADROOM.maxShareOfRound} * ${quantile(0.5, NODE_METRICS.beaconRoundDuration, NODE_TARGETS, BY_SUBNET, SIGNING_HEADROOM.window)}`,
      for: "10m",
      labels: { severity: "warning" },
      annotations: {
        summary: `Subnet ${SUBNET} signs its rounds with little headroom`,
        description: `Subnet ${SUBNET}'s signing latency p99 is {{ $value | humanizeDuration }}, over ${SIGNING_HEADROOM.maxShareOfRound * 100}% of its median round interval for the last ${SIGNING_HEADROOM.window}: the group barely keeps up with the pacing period, and a slower round will stall the subnet or stretch its rounds.`,
      },
    },
    {
      // The beacon can recover from a fault while consensus stays at the height the fault left open: rounds go on and
      // nothing is finalized, so ingress messages are accepted and never land.
      alert: "RelaylabFinalizationStalled",
      expr: `${agg("max", BY_SUBNET, `changes(${sel(NODE_METRICS.finalizedHeight, NODE_TARGETS)}[${FINALIZATION_STALL.window}])`)} == 0 and ${agg("max", BY_SUBNET, `changes(${sel(NODE_METRICS.beaconRound, NODE_TARGETS)}[${FINALIZATION_STALL.window}])`)} > 0`,
      for: FINALIZATION_STALL.for,
      labels: { severity: "critical" },
      annotations: {
        summary: `Subnet ${SUBNET} finalizes no block while its beacon runs`,
        description: `No node of subnet ${SUBNET} raised its finalized height in the last ${FINALIZATION_STALL.window}, while the beacon kept accepting rounds: consensus is stuck at a height (blocks are not notarized or not finalized), and submitted messages are not finalized.`,
      },
    },
    {
      alert: "RelaylabSafetyViolation",
      expr: `${spread} > ${MAX_ROUND_SPREAD.rounds} and ${spread} > ${MAX_ROUND_SPREAD.seconds} * ${roundRate}`,
      for: "5m",
      labels: { severity: "critical" },
      annotations: {
        summary: `Nodes of subnet ${SUBNET} disagree on the beacon chain`,
        description: `Live nodes of subnet ${SUBNET} (partitioned, paused or throttled ones aside) are {{ $value }} rounds apart (over ${MAX_ROUND_SPREAD.rounds} rounds and ${MAX_ROUND_SPREAD.seconds}s of progress) for 5 minutes: a node that receives verified beacons but does not accept them holds a different chain or group set (or cannot sync).`,
      },
    },
  ];
}

function nodeRules(): AlertRule[] {
  const dkgFailed = re(LABELS.result, DKG_RESULTS.filter((r) => r !== "success").join("|"));
  return [
    {
      alert: "RelaylabNodeDown",
      expr: `${sel(PROMETHEUS_SERIES.up, NODE_TARGETS)} == 0`,
      for: "1m",
      labels: { severity: "warning" },
      annotations: {
        summary: `relaylab node {{ $labels.${LABELS.node} }} of subnet ${SUBNET} is down`,
        description: `Prometheus cannot scrape node {{ $labels.${LABELS.node} }} (data center {{ $labels.${LABELS.dataCenter} }}, {{ $labels.instance }}) of subnet ${SUBNET}.`,
      },
    },
    {
      alert: "RelaylabDkgFailures",
      expr: `${agg("sum", BY_SUBNET, growth(NODE_METRICS.dkg, [...NODE_TARGETS, dkgFailed], "15m"))} > 0`,
      for: "0m",
      labels: { severity: "warning" },
      annotations: {
        summary: `DKG runs failed in subnet ${SUBNET}`,
        description: `Nodes of subnet ${SUBNET} report failed or timed-out DKG runs in the last 15 minutes; those groups are not registered.`,
      },
    },
    {
      alert: "RelaylabNoRegisteredGroups",
      expr: `${agg("max", BY_SUBNET, sel(NODE_METRICS.registeredGroups, NODE_TARGETS))} == 0`,
      for: "15m",
      labels: { severity: "critical" },
      annotations: {
        summary: `Subnet ${SUBNET} has no registered group`,
        description: `No node of subnet ${SUBNET} has a group whose DKG succeeded after 15 minutes: the beacon cannot start.`,
      },
    },
  ];
}

function operatorRules(): AlertRule[] {
  const C = OPERATOR_LABELS.controller;
  // Node pods scraped in a Kubernetes namespace (local targets have none) but no operator series at all.
  const kubeNodes = `(count(${sel(NODE_METRICS.beaconRound, [...NODE_TARGETS, has(NAMESPACE)])}) > 0)`;
  const errors = agg("sum", [C], rate(OPERATOR_METRICS.reconcile, [eq(OPERATOR_LABELS.result, "error" satisfies ReconcileResult)], "15m"));
  const all = agg("sum", [C], rate(OPERATOR_METRICS.reconcile, [], "15m"));
  return [
    {
      alert: "RelaylabOperatorNoLeader",
      expr: `${agg("sum", [], sel(OPERATOR_METRICS.leader))} == 0`,
      for: "5m",
      labels: { severity: "critical" },
      annotations: {
        summary: "No relaylab operator replica holds the leader lease",
        description: "Operator replicas are running but none has led for 5 minutes: Subnets and DataCenters are not reconciled.",
      },
    },
    {
      alert: "RelaylabOperatorAbsent",
      expr: `absent(${OPERATOR_METRICS.leader}) and on () ${kubeNodes}`,
      for: "10m",
      labels: { severity: "warning" },
      annotations: {
        summary: "No relaylab operator is scraped while relaylab node pods are",
        description: "Prometheus has scraped relaylab node pods but no operator metrics for 10 minutes: the operator is not running, or nothing scrapes it (serviceMonitor.enabled, or its ServiceMonitor is not selected by this Prometheus).",
      },
    },
    {
      alert: "RelaylabOperatorReconcileErrors",
      expr: `${errors} / ${all} > 0.1`,
      for: "15m",
      labels: { severity: "warning" },
      annotations: {
        summary: `relaylab operator {{ $labels.${C} }} reconciles are failing`,
        description: `{{ $value | humanizePercentage }} of the {{ $labels.${C} }} controller's reconciles returned an error over 15 minutes.`,
      },
    },
  ];
}

/** relaylab's alert rule groups, every alert with its runbook. */
export function alertRuleGroups(): RuleGroup[] {
  const withRunbook = (rules: AlertRule[]): AlertRule[] => rules.map((r) => ({ ...r, annotations: { ...r.annotations, runbook_url: runbookUrl(r.alert) } }));
  return [
    { name: "relaylab-beacon", rules: withRunbook(beaconRules()) },
    { name: "relaylab-nodes", rules: withRunbook(nodeRules()) },
    { name: "relaylab-operator", rules: withRunbook(operatorRules()) },
  ];
}
