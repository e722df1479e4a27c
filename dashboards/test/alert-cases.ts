// SPDX-License-Identifier: Apache-2.0
/**
 * promtool unit tests for the alert rules (`promtool test rules` format), written in TypeScript
 * so input series use the metric-name contracts. Each case shows an alert firing (after its
 * `for` delay, not before) and a healthy or deliberately excluded series staying quiet.
 */
import { LABELS, NODE_METRICS, type DkgResult, type FaultKind } from "@relaylab/node/metrics-names";
import { OPERATOR_LABELS, OPERATOR_METRICS, type ControllerName, type ReconcileResult } from "@relaylab/operator/metrics-names";
import { runbookUrl } from "../src/alerts.js";
import { PROMETHEUS_SERIES } from "../src/promql.js";

type Labels = Readonly<Record<string, string>>;

interface InputSeries {
  series: string;
  values: string;
}

interface Expected {
  exp_labels: Labels;
  exp_annotations: { summary: string; description: string; runbook_url?: string };
}

interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts: Expected[];
}

/** One promtool test group. */
export interface PromtoolTest {
  name: string;
  interval: string;
  input_series: InputSeries[];
  alert_rule_test: AlertTest[];
}

function series(metric: string, labels: Labels, values: string): InputSeries {
  const body = Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(",");
  return { series: `${metric}{${body}}`, values };
}

/** The labels the local runner's file_sd (and the chart's PodMonitor) put on node `node` of `subnet`. */
function target(subnet: string, node: number): Labels {
  return {
    [LABELS.subnet]: subnet,
    [LABELS.dataCenter]: `dc${node % 2}`,
    [LABELS.node]: String(node),
    instance: `${subnet}-${node}:9100`,
    job: "relaylab-node",
  };
}

/** At `evalTime`, exactly one `alertname` alert fires, with these labels and annotations. */
function fires(evalTime: string, alertname: string, labels: Labels, summary: string, description: string): AlertTest {
  return { eval_time: evalTime, alertname, exp_alerts: [{ exp_labels: labels, exp_annotations: { summary, description } }] };
}

/** At `evalTime`, no `alertname` alert fires (not yet, or not for these series). */
function quiet(evalTime: string, alertname: string): AlertTest {
  return { eval_time: evalTime, alertname, exp_alerts: [] };
}

const nodes = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

const inNamespace = (namespace: string, labels: Labels): Labels => ({ ...labels, namespace, instance: `${namespace}-${labels.instance ?? ""}` });

const stalled: PromtoolTest = {
  name: "subnet stalled: more than half of the nodes report a stalled round; a namespace's subnet of the same name is its own subnet",
  interval: "1m",
  input_series: [
    ...nodes(4).map((i) => series(NODE_METRICS.stalled, target("a", i), i < 3 ? "0 0 1x10" : "0x12")),
    ...nodes(4).map((i) => series(NODE_METRICS.stalled, target("b", i), i < 1 ? "0 0 1x10" : "0x12")),
    // Subnet "b" of namespace team-x stalls; the local subnet "b" beside it does not.
    ...nodes(2).map((i) => series(NODE_METRICS.stalled, inNamespace("team-x", target("b", i)), "0 0 1x10")),
  ],
  alert_rule_test: [
    quiet("2m", "RelaylabSubnetStalled"),
    {
      eval_time: "5m",
      alertname: "RelaylabSubnetStalled",
      exp_alerts: [
        { exp_labels: { severity: "critical", subnet: "a" }, exp_annotations: { summary: "Subnet a beacon is stalled", description: "75% of subnet a's nodes report their current round open longer than the stall timeout: the selected group cannot reach its threshold of shares." } },
        {
          exp_labels: { severity: "critical", namespace: "team-x", subnet: "b" },
          exp_annotations: { summary: "Subnet team-x/b beacon is stalled", description: "100% of subnet team-x/b's nodes report their current round open longer than the stall timeout: the selected group cannot reach its threshold of shares." },
        },
      ],
    },
  ],
};

const halted: PromtoolTest = {
  name: "beacon halted: no node advances for 5 minutes, then 5 more",
  interval: "1m",
  input_series: [
    ...nodes(3).map((i) => series(NODE_METRICS.beaconRound, target("a", i), "1+1x10 11x20")),
    ...nodes(3).map((i) => series(NODE_METRICS.beaconRound, target("b", i), "1+1x30")),
  ],
  alert_rule_test: [
    quiet("12m", "RelaylabBeaconHalted"),
    fires("25m", "RelaylabBeaconHalted", { severity: "critical", subnet: "a" }, "Subnet a accepted no beacon round for 10 minutes", "No node of subnet a advanced its beacon round in the last 10 minutes (stall detection itself may be stuck, e.g. every node paused)."),
  ],
};

const finalizationStalled: PromtoolTest = {
  name: "finalization stalled: rounds go on and the finalized height does not (a); both advance (b), or neither (c, the beacon halted): quiet",
  interval: "1m",
  input_series: [
    ...nodes(3).flatMap((i) => [series(NODE_METRICS.beaconRound, target("a", i), "1+10x40"), series(NODE_METRICS.finalizedHeight, target("a", i), "0+10x5 50x35")]),
    ...nodes(3).flatMap((i) => [series(NODE_METRICS.beaconRound, target("b", i), "1+10x40"), series(NODE_METRICS.finalizedHeight, target("b", i), "0+9x40")]),
    ...nodes(3).flatMap((i) => [series(NODE_METRICS.beaconRound, target("c", i), "1+10x5 51x35"), series(NODE_METRICS.finalizedHeight, target("c", i), "0+10x5 50x35")]),
  ],
  alert_rule_test: [
    // The height last rose at minute 5: 10 minutes without a rise at 15, held 5 minutes at 20.
    quiet("18m", "RelaylabFinalizationStalled"),
    fires(
      "22m",
      "RelaylabFinalizationStalled",
      { severity: "critical", subnet: "a" },
      "Subnet a finalizes no block while its beacon runs",
      "No node of subnet a raised its finalized height in the last 10m, while the beacon kept accepting rounds: consensus is stuck at a height (blocks are not notarized or not finalized), and submitted messages are not finalized.",
    ),
  ],
};

const ROUND = NODE_METRICS.beaconRoundDuration;

/** 60 rounds a minute per node; `goodPerMinute` of them within 5 s, in a bucket labelled `le`. */
function roundHistogram(subnet: string, node: number, goodPerMinute: number, le: string): InputSeries[] {
  return [
    series(`${ROUND}_bucket`, { ...target(subnet, node), le }, `0+${goodPerMinute}x100`),
    series(`${ROUND}_count`, target(subnet, node), "0+60x100"),
  ];
}

function sloAlert(subnet: string, severity: "critical" | "warning", burn: string, window: string): Expected {
  return {
    exp_labels: { severity, subnet },
    exp_annotations: {
      summary: `Subnet ${subnet} burns its round-latency error budget ${burn}x too fast`,
      description: `50% of subnet ${subnet}'s rounds took longer than 5s over the last ${window} (objective: 99% within 5s).`,
    },
  };
}

const sloBurn: PromtoolTest = {
  name: "round-latency SLO: half the rounds slower than 5 s burns the budget (le as Prometheus 2 and 3 write it); all fast: quiet",
  interval: "1m",
  input_series: [
    ...nodes(3).flatMap((i) => roundHistogram("a", i, 30, "5")),
    // Prometheus 3 normalises le="5" to "5.0" on ingestion: the rule must read both.
    ...nodes(3).flatMap((i) => roundHistogram("b", i, 30, "5.0")),
    ...nodes(3).flatMap((i) => roundHistogram("c", i, 60, "5")),
  ],
  alert_rule_test: [
    quiet("1m", "RelaylabRoundLatencySLOBurn"),
    {
      eval_time: "90m",
      alertname: "RelaylabRoundLatencySLOBurn",
      exp_alerts: ["a", "b"].flatMap((subnet) => [sloAlert(subnet, "critical", "14.4", "1h"), sloAlert(subnet, "warning", "6", "6h")]),
    },
  ],
};

const SIGNING = NODE_METRICS.beaconSigning;

/** 60 observations a minute of `histogram`, all in the bucket (previous bound, `upTo`]. */
function allIn(histogram: string, subnet: string, node: number, upTo: number): InputSeries[] {
  const bounds = ["0.05", "0.1", "0.5", "1", "+Inf"];
  return bounds.map((le) => series(`${histogram}_bucket`, { ...target(subnet, node), le }, le === "+Inf" || Number(le) >= upTo ? "0+60x40" : "0x40"));
}

const signingHeadroom: PromtoolTest = {
  name: "signing headroom: signing in (0.5 s, 1 s] with 1 s rounds fires; signing in (50 ms, 100 ms] stays quiet",
  interval: "1m",
  input_series: [
    ...nodes(3).flatMap((i) => [...allIn(ROUND, "a", i, 1), ...allIn(SIGNING, "a", i, 1)]),
    ...nodes(3).flatMap((i) => [...allIn(ROUND, "b", i, 1), ...allIn(SIGNING, "b", i, 0.1)]),
  ],
  alert_rule_test: [
    quiet("8m", "RelaylabSigningHeadroomLow"),
    fires(
      "25m",
      "RelaylabSigningHeadroomLow",
      { severity: "warning", subnet: "a" },
      "Subnet a signs its rounds with little headroom",
      "Subnet a's signing latency p99 is 995ms, over 80% of its median round interval for the last 10m: the group barely keeps up with the pacing period, and a slower round will stall the subnet or stretch its rounds.",
    ),
  ],
};

const partition: FaultKind = "partition";
const delay: FaultKind = "delay";

/** A node's accepted rounds and its round-duration count (the rate the spread is compared with). */
function beacon(subnet: string, node: number, rounds: string, count: string): InputSeries[] {
  return [series(NODE_METRICS.beaconRound, target(subnet, node), rounds), series(`${ROUND}_count`, target(subnet, node), count)];
}

const safety: PromtoolTest = {
  name: "safety: a live node without faults stops accepting the rounds its subnet accepts; fast subnets' scrape skew does not count",
  interval: "1m",
  input_series: [
    // 10 rounds a minute; node 2 stops at round 50. In b it is partitioned on purpose (a chaos
    // experiment, not a disagreement).
    ...["a", "b"].flatMap((subnet) => [
      ...beacon(subnet, 0, "0+10x20", "0+10x20"),
      ...beacon(subnet, 1, "0+10x20", "0+10x20"),
      ...beacon(subnet, 2, "0+10x5 50x15", "0+10x5 50x15"),
    ]),
    series(NODE_METRICS.faultsActive, { ...target("b", 2), [LABELS.kind]: partition }, "1x20"),
    // Every node of a and b has latency emulation on (as the local runner sets it): no excuse.
    ...["a", "b"].flatMap((subnet) => nodes(3).map((i) => series(NODE_METRICS.faultsActive, { ...target(subnet, i), [LABELS.kind]: delay }, "1x20"))),
    // d: 100 rounds a minute, node 1 always scraped 30 rounds behind: under a minute of rounds.
    ...beacon("d", 0, "30+100x20", "30+100x20"),
    ...beacon("d", 1, "0+100x20", "0+100x20"),
  ],
  alert_rule_test: [
    quiet("8m", "RelaylabSafetyViolation"),
    fires("15m", "RelaylabSafetyViolation", { severity: "critical", subnet: "a" }, "Nodes of subnet a disagree on the beacon chain", "Live nodes of subnet a (partitioned, paused or throttled ones aside) are 100 rounds apart (over 10 rounds and 60s of progress) for 5 minutes: a node that receives verified beacons but does not accept them holds a different chain or group set (or cannot sync)."),
  ],
};

const nodeDown: PromtoolTest = {
  name: "node down: a node target fails its scrapes; other targets do not count",
  interval: "1m",
  input_series: [
    series(PROMETHEUS_SERIES.up, target("a", 0), "1x10"),
    series(PROMETHEUS_SERIES.up, target("a", 1), "1 1 0x10"),
    series(PROMETHEUS_SERIES.up, { instance: "localhost:9090", job: "prometheus" }, "0x10"),
  ],
  alert_rule_test: [
    fires("5m", "RelaylabNodeDown", { severity: "warning", ...target("a", 1) }, "relaylab node 1 of subnet a is down", "Prometheus cannot scrape node 1 (data center dc1, a-1:9100) of subnet a."),
  ],
};

function dkgRuns(subnet: string, result: DkgResult, values: string): InputSeries {
  return series(NODE_METRICS.dkg, { ...target(subnet, 0), [LABELS.result]: result }, values);
}

const dkg: PromtoolTest = {
  name: "DKG: failed or timed-out runs alert; successful runs and registered groups do not",
  interval: "1m",
  input_series: [
    dkgRuns("a", "success", "0x5 1x40"),
    dkgRuns("a", "timeout", "0x5 1x40"),
    dkgRuns("b", "success", "0x5 1x20"),
    dkgRuns("b", "failure", "0x25"),
    // A labelled counter first exported at 1 (no zero sample before it): still a failure.
    dkgRuns("c", "failure", "_x5 1x40"),
    series(NODE_METRICS.registeredGroups, target("a", 0), "0x20"),
    series(NODE_METRICS.registeredGroups, target("b", 0), "0x5 2x15"),
  ],
  alert_rule_test: [
    {
      eval_time: "8m",
      alertname: "RelaylabDkgFailures",
      exp_alerts: ["a", "c"].map((subnet) => ({
        exp_labels: { severity: "warning", subnet },
        exp_annotations: {
          summary: `DKG runs failed in subnet ${subnet}`,
          description: `Nodes of subnet ${subnet} report failed or timed-out DKG runs in the last 15 minutes; those groups are not registered.`,
        },
      })),
    },
    // 15 minutes without a new failure: quiet again, though the counters stay at 1.
    quiet("40m", "RelaylabDkgFailures"),
    quiet("10m", "RelaylabNoRegisteredGroups"),
    fires("18m", "RelaylabNoRegisteredGroups", { severity: "critical", subnet: "a" }, "Subnet a has no registered group", "No node of subnet a has a group whose DKG succeeded after 15 minutes: the beacon cannot start."),
  ],
};

function reconciles(controller: ControllerName, result: ReconcileResult, values: string): InputSeries {
  return series(OPERATOR_METRICS.reconcile, { instance: "op-0:8080", [OPERATOR_LABELS.controller]: controller, [OPERATOR_LABELS.result]: result }, values);
}

const operator: PromtoolTest = {
  name: "operator: no replica leads; one controller fails most reconciles",
  interval: "1m",
  input_series: [
    series(OPERATOR_METRICS.leader, { instance: "op-0:8080" }, "1 1 0x20"),
    series(OPERATOR_METRICS.leader, { instance: "op-1:8080" }, "0x22"),
    reconciles("subnet", "error", "0+6x40"),
    reconciles("subnet", "success", "0+4x40"),
    reconciles("datacenter", "error", "0+1x40"),
    reconciles("datacenter", "success", "0+99x40"),
  ],
  alert_rule_test: [
    quiet("5m", "RelaylabOperatorNoLeader"),
    fires("10m", "RelaylabOperatorNoLeader", { severity: "critical" }, "No relaylab operator replica holds the leader lease", "Operator replicas are running but none has led for 5 minutes: Subnets and DataCenters are not reconciled."),
    fires("35m", "RelaylabOperatorReconcileErrors", { severity: "warning", controller: "subnet" }, "relaylab operator subnet reconciles are failing", "60% of the subnet controller's reconciles returned an error over 15 minutes."),
  ],
};

const operatorAbsent: PromtoolTest = {
  name: "operator absent: node pods of a Kubernetes namespace are scraped and no operator is; a local testnet alone is quiet",
  interval: "1m",
  input_series: [
    // A local testnet (no namespace) all along; node pods of namespace team-x from minute 5.
    ...nodes(2).map((i) => series(NODE_METRICS.beaconRound, target("local", i), "1+1x40")),
    ...nodes(2).map((i) => series(NODE_METRICS.beaconRound, inNamespace("team-x", target("b", i)), "_x5 1+1x35")),
  ],
  alert_rule_test: [
    quiet("4m", "RelaylabOperatorAbsent"),
    quiet("12m", "RelaylabOperatorAbsent"),
    fires("20m", "RelaylabOperatorAbsent", { severity: "warning" }, "No relaylab operator is scraped while relaylab node pods are", "Prometheus has scraped relaylab node pods but no operator metrics for 10 minutes: the operator is not running, or nothing scrapes it (serviceMonitor.enabled, or its ServiceMonitor is not selected by this Prometheus)."),
  ],
};

/** Every expected alert carries its runbook, as every rule does. */
function withRunbooks(test: PromtoolTest): PromtoolTest {
  return {
    ...test,
    alert_rule_test: test.alert_rule_test.map((a) => ({ ...a, exp_alerts: a.exp_alerts.map((e) => ({ ...e, exp_annotations: { ...e.exp_annotations, runbook_url: runbookUrl(a.alertname) } })) })),
  };
}

/** A promtool test file for the rule file `ruleFile` (a path relative to the test file). */
export function promtoolTestFile(ruleFile: string): { rule_files: string[]; evaluation_interval: string; tests: PromtoolTest[] } {
  return { rule_files: [ruleFile], evaluation_interval: "1m", tests: [stalled, halted, finalizationStalled, sloBurn, signingHeadroom, safety, nodeDown, dkg, operator, operatorAbsent].map(withRunbooks) };
}
