// SPDX-License-Identifier: Apache-2.0
/**
 * The node's Prometheus metrics as one typed tree over one Registry (lodestar's createMetrics
 * pattern). Names come only from names.ts; consumers take `Metrics | null` so tests can run
 * without a registry.
 */
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from "prom-client";
import {
  DIRECTIONS,
  DKG_RESULTS,
  DROP_REASONS,
  FAULT_KINDS,
  INGRESS_RESULTS,
  LABELS,
  NODE_METRICS,
  P2P_MESSAGES,
  ROUND_SECONDS_BUCKETS,
  SHARE_RESULTS,
  SIGNATURE_BYTES_BUCKETS,
  type DkgResult,
  type Direction,
  type DropReason,
  type FaultKind,
  type P2PMessageKind,
  type ShareResult,
} from "./names.js";

/** DKG runs: 10 ms … 5 min (noble G2 arithmetic makes a 400-member DKG minutes long). */
const DKG_SECONDS_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** Every metric a node exports, typed by its label names. */
export interface Metrics {
  readonly beaconRound: Gauge;
  readonly roundDuration: Histogram;
  readonly signing: Histogram;
  readonly groupSignatureBytes: Histogram;
  readonly p2pBytes: Counter<"direction" | "message">;
  readonly stallEvents: Counter;
  readonly stalled: Gauge;
  readonly stallDuration: Histogram;
  readonly shares: Counter<"result">;
  readonly messagesDropped: Counter<"reason">;
  readonly dkgDuration: Histogram;
  readonly dkg: Counter<"result">;
  readonly dkgRetries: Counter;
  readonly dkgCatchUps: Counter;
  readonly registeredGroups: Gauge;
  readonly faultsActive: Gauge<"kind">;
  readonly nodeInfo: Gauge<"subnet" | "data_center" | "node" | "crypto_backend">;
  readonly finalizedHeight: Gauge;
  readonly blockFinalization: Histogram;
  readonly notarization: Histogram;
  readonly finalizationAbstentions: Counter;
  readonly ingressMessages: Counter<"result">;
  readonly ingressLatency: Histogram;
}

/** Creates the node's metrics in `registry`, plus the process default metrics. */
export function createMetrics(registry: Registry): Metrics {
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  const metrics: Metrics = {
    beaconRound: new Gauge({ name: NODE_METRICS.beaconRound, help: "Highest accepted beacon round", registers }),
    roundDuration: new Histogram({
      name: NODE_METRICS.beaconRoundDuration,
      help: "Time from accepting B(r-1) to accepting B(r)",
      buckets: [...ROUND_SECONDS_BUCKETS],
      registers,
    }),
    signing: new Histogram({
      name: NODE_METRICS.beaconSigning,
      help: "Time from opening round r for signing (B(r-1) accepted, pacing period passed) to accepting B(r)",
      buckets: [...ROUND_SECONDS_BUCKETS],
      registers,
    }),
    groupSignatureBytes: new Histogram({
      name: NODE_METRICS.groupSignatureBytes,
      help: "Bytes this node sent plus received (framing included) to produce one group signature it took part in",
      buckets: [...SIGNATURE_BYTES_BUCKETS],
      registers,
    }),
    p2pBytes: new Counter({
      name: NODE_METRICS.p2pBytes,
      help: "Peer-to-peer bytes by direction and message type, gRPC/HTTP2 framing estimate included",
      labelNames: [LABELS.direction, LABELS.message] as const,
      registers,
    }),
    stallEvents: new Counter({ name: NODE_METRICS.stallEvents, help: "Rounds open longer than the stall timeout", registers }),
    stalled: new Gauge({ name: NODE_METRICS.stalled, help: "1 while the current round is stalled", registers }),
    stallDuration: new Histogram({
      name: NODE_METRICS.stallDuration,
      help: "How long a stalled round stayed open, recorded when it completes",
      buckets: [...ROUND_SECONDS_BUCKETS],
      registers,
    }),
    shares: new Counter({ name: NODE_METRICS.shares, help: "Signature shares received, by result", labelNames: [LABELS.result] as const, registers }),
    messagesDropped: new Counter({
      name: NODE_METRICS.messagesDropped,
      help: "Peer messages dropped, by reason (on receipt, or send_backlog on sending to a slow or dead peer)",
      labelNames: [LABELS.reason] as const,
      registers,
    }),
    dkgDuration: new Histogram({ name: NODE_METRICS.dkgDuration, help: "One DKG run from start to result", buckets: DKG_SECONDS_BUCKETS, registers }),
    dkg: new Counter({ name: NODE_METRICS.dkg, help: "DKG runs this node took part in, by result", labelNames: [LABELS.result] as const, registers }),
    dkgRetries: new Counter({ name: NODE_METRICS.dkgRetries, help: "Attempts of epoch 0's DKG started because the previous one registered no group", registers }),
    dkgCatchUps: new Counter({ name: NODE_METRICS.dkgCatchUps, help: "Jumps of epoch 0's DKG to a later attempt that peers showed, skipping the attempts between", registers }),
    registeredGroups: new Gauge({ name: NODE_METRICS.registeredGroups, help: "Groups whose DKG succeeded and that may be selected", registers }),
    faultsActive: new Gauge({ name: NODE_METRICS.faultsActive, help: "1 while a fault of this kind is active", labelNames: [LABELS.kind] as const, registers }),
    nodeInfo: new Gauge({
      name: NODE_METRICS.nodeInfo,
      help: "Constant 1 labelled with the node's static identity and its round crypto backend",
      labelNames: [LABELS.subnet, LABELS.dataCenter, LABELS.node, LABELS.cryptoBackend] as const,
      registers,
    }),
    finalizedHeight: new Gauge({ name: NODE_METRICS.finalizedHeight, help: "Highest finalized block height", registers }),
    blockFinalization: new Histogram({
      name: NODE_METRICS.blockFinalization,
      help: "Time from a block's proposal (maker's clock) to its finalization here",
      buckets: [...ROUND_SECONDS_BUCKETS],
      registers,
    }),
    notarization: new Histogram({
      name: NODE_METRICS.notarization,
      help: "Time from a block's proposal (maker's clock) to its notarization here",
      buckets: [...ROUND_SECONDS_BUCKETS],
      registers,
    }),
    finalizationAbstentions: new Counter({
      name: NODE_METRICS.finalizationAbstentions,
      help: "Heights at which this notary signed several blocks (an equivocating maker) and so sent no finalization share",
      registers,
    }),
    ingressMessages: new Counter({ name: NODE_METRICS.ingressMessages, help: "Ingress messages submitted to this node, by result", labelNames: [LABELS.result] as const, registers }),
    ingressLatency: new Histogram({
      name: NODE_METRICS.ingressLatency,
      help: "Time from SubmitMessage on this node to the message's finalization",
      buckets: [...ROUND_SECONDS_BUCKETS],
      registers,
    }),
  };
  // Export every enum label value from the start, so rate() and absent() behave before the first event.
  for (const direction of DIRECTIONS) for (const message of P2P_MESSAGES) metrics.p2pBytes.inc({ direction, message }, 0);
  for (const kind of FAULT_KINDS) metrics.faultsActive.set({ kind }, 0);
  for (const result of INGRESS_RESULTS) metrics.ingressMessages.inc({ result }, 0);
  for (const result of SHARE_RESULTS) metrics.shares.inc({ result }, 0);
  for (const reason of DROP_REASONS) metrics.messagesDropped.inc({ reason }, 0);
  for (const result of DKG_RESULTS) metrics.dkg.inc({ result }, 0);
  return metrics;
}

/** Typed label helpers, so call sites can only pass enum values from names.ts. */
export const labels = {
  p2p: (direction: Direction, message: P2PMessageKind) => ({ direction, message }),
  share: (result: ShareResult) => ({ result }),
  drop: (reason: DropReason) => ({ reason }),
  dkg: (result: DkgResult) => ({ result }),
  fault: (kind: FaultKind) => ({ kind }),
};
