// SPDX-License-Identifier: Apache-2.0
/**
 * Per node: one line per selected node for every beacon, DKG, fault and process signal, to
 * find the member that is slow, lagging, misbehaving or out of CPU.
 */
import { LABELS, NODE_METRICS, PROCESS_METRICS } from "@relaylab/node/metrics-names";
import { BY_SUBNET, NAMESPACE, RATE, type Dashboard, finish, relaylabDashboard, row, scope, timeseriesPanel } from "./common.js";
import { roundLag } from "./lag.js";
import { agg, increase, quantile, rate, sel } from "./promql.js";

const S = LABELS.subnet;
const N = LABELS.node;
const M = scope([NAMESPACE, S, LABELS.dataCenter, N]);
const BY = [...BY_SUBNET, N];
const LEGEND = `{{${NAMESPACE}}} {{${S}}}/{{${N}}}`;

/** A per-node panel of one expression per selected node. */
function perNode(title: string, description: string, unit: string, expr: string, legendSuffix = ""): ReturnType<typeof timeseriesPanel> {
  return timeseriesPanel({ title, description, unit, span: 8, queries: [{ expr, legend: LEGEND + legendSuffix }] });
}

/** Builds the per-node dashboard. */
export function perNodeDashboard(): Dashboard {
  return finish(
    relaylabDashboard({
      uid: "relaylab-node",
      title: "relaylab / Node",
      description: "Every signal of the selected nodes: beacon progress and latency, shares, drops, traffic, DKG, faults, process resources.",
      scope: [NAMESPACE, S, LABELS.dataCenter, N],
    })
      .withRow(row("Beacon"))
      .withPanel(perNode("Beacon round", "Highest beacon round each node accepted.", "none", agg("max", BY, sel(NODE_METRICS.beaconRound, M))))
      .withPanel(perNode("Round lag behind the subnet head", "Rounds between the subnet's highest accepted round and this node's.", "none", roundLag(scope([NAMESPACE, S]), M, BY)))
      .withPanel(perNode("Round latency p99", "Tail time from accepting B(r−1) to accepting B(r).", "s", quantile(0.99, NODE_METRICS.beaconRoundDuration, M, BY, RATE)))
      .withPanel(perNode("Signing latency p99", "Tail time from opening a round for signing (pacing wait excluded) to accepting its beacon.", "s", quantile(0.99, NODE_METRICS.beaconSigning, M, BY, RATE)))
      .withPanel(perNode("Stalled", "1 while this node's current round is open longer than the stall timeout.", "none", agg("max", BY, sel(NODE_METRICS.stalled, M))))
      .withPanel(perNode("Stall events", "Rounds that stayed open longer than the stall timeout.", "short", agg("sum", BY, increase(NODE_METRICS.stallEvents, M, RATE))))
      .withPanel(perNode("Bytes per group signature p99", "Bytes this node moved to produce one group signature it took part in.", "bytes", quantile(0.99, NODE_METRICS.groupSignatureBytes, M, BY, RATE)))
      .withRow(row("Messages"))
      .withPanel(perNode("Shares received", "Signature shares received per second, by result.", "ops", agg("sum", [...BY, LABELS.result], rate(NODE_METRICS.shares, M, RATE)), ` {{${LABELS.result}}}`))
      .withPanel(perNode("Messages dropped", "Peer messages dropped per second, by reason: on receipt before processing, or send_backlog when a slow or dead peer's stream is full.", "ops", agg("sum", [...BY, LABELS.reason], rate(NODE_METRICS.messagesDropped, M, RATE)), ` {{${LABELS.reason}}}`))
      .withPanel(perNode("Peer traffic", "Peer-to-peer bytes per second, by direction.", "Bps", agg("sum", [...BY, LABELS.direction], rate(NODE_METRICS.p2pBytes, M, RATE)), ` {{${LABELS.direction}}}`))
      .withRow(row("Groups, consensus and faults"))
      .withPanel(perNode("DKG runs", "DKG runs this node took part in, by result.", "short", agg("sum", [...BY, LABELS.result], increase(NODE_METRICS.dkg, M, RATE)), ` {{${LABELS.result}}}`))
      .withPanel(perNode("DKG duration p99", "One DKG run from start to result.", "s", quantile(0.99, NODE_METRICS.dkgDuration, M, BY, RATE)))
      .withPanel(perNode("Epoch 0 DKG retries", "New attempts of epoch 0's DKG, started because the previous attempt registered no group: the subnet has no beacon until one succeeds.", "short", agg("sum", BY, increase(NODE_METRICS.dkgRetries, M, RATE))))
      .withPanel(perNode("Epoch 0 DKG catch-ups", "Jumps of epoch 0's DKG to a later attempt that peers showed: a node that lost its data dir skipping the attempts the others already ran.", "short", agg("sum", BY, increase(NODE_METRICS.dkgCatchUps, M, RATE))))
      .withPanel(perNode("Registered groups", "Groups whose DKG succeeded, as this node sees them.", "none", agg("max", BY, sel(NODE_METRICS.registeredGroups, M))))
      .withPanel(perNode("Finalized height", "Highest finalized block height at this node.", "none", agg("max", BY, sel(NODE_METRICS.finalizedHeight, M))))
      .withPanel(perNode("Finalization abstentions", "Heights at which this notary signed several blocks (an equivocating maker) and so sent no finalization share.", "short", agg("sum", BY, increase(NODE_METRICS.finalizationAbstentions, M, RATE))))
      .withPanel(perNode("Ingress accepted", "Ingress messages submitted to this node per second, by result.", "reqps", agg("sum", [...BY, LABELS.result], rate(NODE_METRICS.ingressMessages, M, RATE)), ` {{${LABELS.result}}}`))
      .withPanel(perNode("Faults active", "Injected faults switched on at this node, by kind.", "none", agg("max", [...BY, LABELS.kind], sel(NODE_METRICS.faultsActive, M)), ` {{${LABELS.kind}}}`))
      .withRow(row("Process"))
      .withPanel(perNode("CPU", "CPU seconds per second (1 = one core busy); BLS pairings and DKG run here.", "percentunit", agg("sum", BY, rate(PROCESS_METRICS.cpuSeconds, M, RATE))))
      .withPanel(perNode("Memory", "Resident set size.", "bytes", agg("sum", BY, sel(PROCESS_METRICS.residentMemory, M))))
      .withPanel(perNode("Event loop lag p99", "Event-loop delay: crypto on the main thread delays message handling.", "s", agg("max", BY, sel(PROCESS_METRICS.eventLoopLagP99, M)))),
  );
}
