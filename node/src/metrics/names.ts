// SPDX-License-Identifier: Apache-2.0
/**
 * Metric names and label values exported by every relaylab node.
 *
 * These names are a contract: dashboards, alert rules, the local runner and tests import them
 * from here and never spell a metric name themselves. Label values come from the enums below
 * only, so cardinality stays bounded (no per-peer or per-round labels).
 */

export const NODE_METRICS = {
  /** gauge: the highest beacon round this node has accepted. */
  beaconRound: "relaylab_beacon_round",
  /** histogram (s): from accepting B(r−1) to accepting B(r). */
  beaconRoundDuration: "relaylab_beacon_round_duration_seconds",
  /**
   * histogram (s): from opening round r for signing (B(r−1) accepted and the pacing period passed) to accepting
   * B(r). The pacing holds the round duration at the period; this is the part of it the group spends signing, so
   * its ratio to the period is the subnet's headroom.
   */
  beaconSigning: "relaylab_beacon_signing_seconds",
  /** histogram (bytes): bytes this node sent plus received to produce one group signature it took part in. */
  groupSignatureBytes: "relaylab_group_signature_bytes",
  /** counter (bytes): peer-to-peer traffic by direction and message type, framing included. */
  p2pBytes: "relaylab_p2p_bytes_total",
  /** counter: rounds that stayed open longer than the stall timeout. */
  stallEvents: "relaylab_stall_events_total",
  /** gauge 0/1: a round is currently stalled. */
  stalled: "relaylab_stalled",
  /** histogram (s): how long each stall lasted, recorded when the round completes. */
  stallDuration: "relaylab_stall_duration_seconds",
  /**
   * counter: signature shares received, by result. A late share at a node that recovered its round is counted once
   * checked (beacon/share-audit.ts): late when valid, invalid when not; other late shares are counted late unchecked.
   */
  shares: "relaylab_shares_total",
  /** counter: peer messages dropped, by reason: on receipt before processing, or on sending (send_backlog). */
  messagesDropped: "relaylab_messages_dropped_total",
  /** histogram (s): one DKG run from start to result. */
  dkgDuration: "relaylab_dkg_duration_seconds",
  /** counter: DKG runs this node took part in, by result. */
  dkg: "relaylab_dkg_total",
  /** counter: new attempts of epoch 0's DKG started because the previous attempt registered no group. */
  dkgRetries: "relaylab_dkg_retries_total",
  /** counter: jumps of epoch 0's DKG to a later attempt that peers showed (a node that lost its data dir catching up). */
  dkgCatchUps: "relaylab_dkg_catch_ups_total",
  /** gauge: groups whose DKG succeeded and that may be selected. */
  registeredGroups: "relaylab_registered_groups",
  /** gauge 0/1: whether a fault of a kind is active on this node. */
  faultsActive: "relaylab_faults_active",
  /** gauge: the highest finalized block height. */
  finalizedHeight: "relaylab_finalized_height",
  /** histogram (s): block proposal to finalization. */
  blockFinalization: "relaylab_block_finalization_seconds",
  /** histogram (s): block proposal to notarization. */
  notarization: "relaylab_notarization_seconds",
  /** counter: heights at which this notary signed several blocks (an equivocating maker) and so sent no finalization share. */
  finalizationAbstentions: "relaylab_finalization_abstentions_total",
  /** counter: ingress messages submitted, by result. */
  ingressMessages: "relaylab_ingress_messages_total",
  /** histogram (s): ingress message submit to finalization. */
  ingressLatency: "relaylab_ingress_latency_seconds",
  /** gauge: constant 1 with the node's static identity as labels (subnet, data center, node, crypto backend). */
  nodeInfo: "relaylab_node_info",
} as const;

export type NodeMetricName = (typeof NODE_METRICS)[keyof typeof NODE_METRICS];

/** Label names used on node metrics. */
export const LABELS = {
  direction: "direction",
  message: "message",
  result: "result",
  reason: "reason",
  kind: "kind",
  subnet: "subnet",
  dataCenter: "data_center",
  node: "node",
  cryptoBackend: "crypto_backend",
} as const;

/** Values of relaylab_node_info{crypto_backend}: the backend doing the node's round crypto (--crypto-backend). */
export { BACKEND_NAMES as CRYPTO_BACKENDS, type BackendName as CryptoBackend } from "../crypto/backend/types.js";

export const DIRECTIONS = ["sent", "received"] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** Peer message types, as counted in relaylab_p2p_bytes_total{message}. */
export const P2P_MESSAGES = ["share", "beacon", "dkg", "sync", "block", "notarization_share", "finalization_share", "certificate", "ingress"] as const;
export type P2PMessageKind = (typeof P2P_MESSAGES)[number];

export const SHARE_RESULTS = ["valid", "invalid", "duplicate", "late", "unknown_sender"] as const;
export type ShareResult = (typeof SHARE_RESULTS)[number];

/**
 * send_backlog: an outbound message lost because the peer's stream already buffers too much (a slow or dead peer).
 * sync_no_progress: a sync stream cut off because its peer fed no new verified round (idle, or only known rounds).
 * over_quota: a sender sent more distinct messages than the protocol needs (e.g. DKG packets per epoch), or a buffer is full.
 * wrong_attempt: a DKG packet of another attempt of its epoch's DKG (a failed epoch 0 is retried with new groups).
 */
export const DROP_REASONS = ["malformed", "oversized", "unknown_sender", "bad_signature", "wrong_round", "wrong_group", "fault", "send_backlog", "sync_no_progress", "over_quota", "wrong_attempt", "control_unauthenticated"] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export const DKG_RESULTS = ["success", "failure", "timeout"] as const;
export type DkgResult = (typeof DKG_RESULTS)[number];

export const FAULT_KINDS = [
  "delay",
  "loss",
  "bandwidth",
  "partition",
  "pause",
  "withhold_shares",
  "invalid_shares",
  "selective_shares",
  "dkg_equivocate",
  "equivocate_blocks",
  "equivocate_votes",
  "dkg_outcome_equivocate",
  "dkg_false_complaints",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const INGRESS_RESULTS = ["accepted", "rejected_full", "rejected_size", "rejected_invalid"] as const;
export type IngressResult = (typeof INGRESS_RESULTS)[number];

/**
 * Histogram buckets (seconds) for round-scale latencies: 1 ms … 60 s, finer between 100 ms and 2.5 s, where round
 * periods and signing latencies sit, so a quantile read from the buckets stays within a few tens of ms there.
 */
export const ROUND_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 5, 10, 30, 60] as const;
/** Histogram buckets (bytes) for per-signature traffic: 100 B (small groups, small fan-in) … 10 MB. */
export const SIGNATURE_BYTES_BUCKETS = [100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7] as const;

/**
 * prom-client's process default metrics (`collectDefaultMetrics`, names fixed by prom-client 15)
 * that dashboards chart. Every relaylab process (node and operator) exports them.
 */
export const PROCESS_METRICS = {
  /** counter (s): user plus system CPU time. */
  cpuSeconds: "process_cpu_seconds_total",
  /** gauge (bytes): resident set size (Linux only). */
  residentMemory: "process_resident_memory_bytes",
  /** gauge (bytes): V8 heap in use. */
  heapUsed: "nodejs_heap_size_used_bytes",
  /** gauge (s): 99th percentile event-loop delay; BLS work on the main thread shows here. */
  eventLoopLagP99: "nodejs_eventloop_lag_p99_seconds",
} as const;
