// SPDX-License-Identifier: Apache-2.0
/**
 * One relaylab node: wires the transport, DKG, beacon engine, store, sync, faults, metrics and the
 * three listeners (Protocol+Public on the node address, Control on loopback, HTTP metrics/probes).
 */
import { mkdirSync } from "node:fs";
import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { Registry } from "prom-client";
import { BeaconEngine } from "./beacon/engine.js";
import { systemClock, type Clock } from "./clock.js";
import type { Genesis } from "./config/index.js";
import { ConsensusDriver } from "./consensus/driver.js";
import type { RoundCrypto } from "./crypto/backend/index.js";
import { EpochManager } from "./dkg/epochs.js";
import { faultStrategies } from "./faults/byzantine.js";
import { FaultController } from "./faults/controller.js";
import { ControlService, type FaultSet } from "./gen/relaylab/v1/control.js";
import { PublicService, type NodeStatus } from "./gen/relaylab/v1/public.js";
import { ingressHandlers } from "./ingress/public.js";
import type { Logger } from "./log.js";
import { metricsServer } from "./metrics/http.js";
import { createMetrics, type Metrics } from "./metrics/registry.js";
import { ControlAuthenticator } from "./identity/control-auth.js";
import { controlService } from "./net/control-service.js";
import { dispatchEnvelopes } from "./net/dispatch.js";
import { publicService } from "./net/public-service.js";
import { Syncer, syncChainHandler } from "./net/sync.js";
import { Transport } from "./net/transport.js";
import { BeaconStore } from "./store/beacons.js";
import { serverCredentials } from "./net/tls.js";
import { bindDataDir } from "./store/data-dir.js";

export interface NodeConfig {
  readonly genesis: Genesis;
  /** The genesis document's hash; the data dir must be empty or bound to it (store/data-dir.ts). */
  readonly genesisHash: string;
  readonly index: number;
  readonly identitySecret: Uint8Array;
  readonly dataDir: string;
  /** host:port for Protocol and Public. */
  readonly listen: string;
  readonly controlListen: string;
  readonly metricsListen: string;
  readonly faults?: FaultSet | undefined;
  /** Round crypto for the beacon engine and consensus (main.ts loads the --crypto-backend one). */
  readonly crypto: RoundCrypto;
  readonly log: Logger;
  readonly clock?: Clock;
  /** The testnet's control public key (hex): Control API calls must be signed with its secret half. */
  readonly controlKey?: string | undefined;
  /** Called for Control.Crash; defaults to process.exit. */
  readonly exit?: (code: number) => void;
}

/** Bound addresses of a running node. */
export interface NodeAddresses {
  readonly grpc: string;
  readonly control: string;
  readonly metrics: string;
}

const SERVER_OPTIONS: grpc.ServerOptions = {
  // Our own per-envelope limit (framing.ts) applies first, so oversized messages are counted, not stream errors.
  "grpc.max_receive_message_length": 16 * 1024 * 1024,
  "grpc.max_concurrent_streams": 256,
};

export class RelayNode {
  private constructor(
    readonly addresses: NodeAddresses,
    private readonly closers: (() => Promise<void> | void)[],
  ) {}

  /** Starts every component and binds the listeners; resolves once all are bound. */
  static async start(config: NodeConfig): Promise<RelayNode> {
    const { genesis, index, log, crypto } = config;
    const clock = config.clock ?? systemClock;
    const self = genesis.nodes[index];
    if (self === undefined) throw new Error(`--index ${index} is not a node of the genesis (it has ${genesis.nodes.length} nodes, 0..${genesis.nodes.length - 1})`);
    mkdirSync(config.dataDir, { recursive: true });
    // Before anything reads the data dir: never load, serve or extend another network's chain.
    bindDataDir(config.dataDir, config.genesisHash);

    const registry = new Registry();
    const metrics: Metrics = createMetrics(registry);
    metrics.nodeInfo.set({ subnet: genesis.subnet, data_center: self.dataCenter, node: String(index), crypto_backend: crypto.backend }, 1);
    const faults = new FaultController((n) => genesis.nodes[n]?.dataCenter, clock, log, metrics);
    if (config.faults) faults.apply(config.faults);
    // The protocols run honestly until a byzantine behaviour is switched on, at start or through the Control API.
    const strategies = faultStrategies(faults, log);
    const store = new BeaconStore(config.dataDir);
    const transport = new Transport({ self: index, genesis, identitySecret: config.identitySecret, clock, faults, log, metrics });
    const epochs: EpochManager = new EpochManager({
      self: index,
      genesis,
      identitySecret: config.identitySecret,
      dataDir: config.dataDir,
      send: (to, envelope) => transport.send(to, envelope),
      clock,
      log,
      metrics,
      onRegistered: () => engine.resume(),
      strategy: strategies.dkg,
      commitments: crypto.commitments,
    });
    const engine = new BeaconEngine({
      self: index,
      genesis,
      clock,
      log,
      metrics,
      crypto,
      store,
      strategy: strategies.beacon,
      send: (to, envelope) => transport.send(to, envelope),
      requestSync: (peer) => syncer.request(peer),
      epochs: { groupsFor: (round) => epochs.groupsFor(round), sharesFor: (epoch) => epochs.sharesFor(epoch) },
    });
    const consensus = new ConsensusDriver({
      self: index,
      genesis,
      identitySecret: config.identitySecret,
      clock,
      log,
      metrics,
      crypto,
      beacons: store,
      strategy: strategies.consensus,
      dataDir: config.dataDir,
      send: (to, envelope) => transport.send(to, envelope),
      groupsFor: (round) => epochs.groupsFor(round),
      sharesFor: (epoch) => epochs.sharesFor(epoch),
    });
    engine.subscribe((beacon) => consensus.onBeacon(beacon));
    const syncer = new Syncer({
      self: index,
      nodeCount: genesis.nodes.length,
      clientFor: (peer) => transport.clientFor(peer),
      tls: transport.tls,
      fromRound: () => store.latestRound + 1n,
      accept: (beacon) => engine.acceptSynced(beacon),
      clock,
      faults,
      log,
      metrics,
    });

    let acceptedSinceStart = false;
    engine.subscribe((beacon) => {
      acceptedSinceStart = true;
      epochs.onBeacon(beacon.round, beacon.signature);
    });
    /** Ready: this node's epoch-0 groups are registered and it accepted a beacon since it started. */
    const ready = (): boolean => epochs.groupsOf(0n) !== undefined && acceptedSinceStart;

    transport.onEnvelope(dispatchEnvelopes({ beacon: engine, dkg: epochs, consensus, metrics }));

    const status = (): NodeStatus => ({
      subnet: genesis.subnet,
      index,
      dataCenter: self.dataCenter,
      round: store.latestRound,
      ready: ready(),
      registeredGroups: epochs.groupsFor(store.latestRound + 1n)?.count ?? epochs.groupsOf(0n)?.count ?? 0,
      epoch: epochs.epochOf(store.latestRound + 1n),
      stallEvents: BigInt(engine.stallEvents),
      stalled: engine.stalled,
      finalizedHeight: consensus.finalizedHeight,
      activeFaults: faults.activeKinds(),
      roundLatencyP50Seconds: engine.roundLatencyP50(),
      signingLatencyP50Seconds: engine.signingLatencyP50(),
    });

    const server = new grpc.Server(SERVER_OPTIONS);
    transport.register(server, {
      syncChain: syncChainHandler({ store, faults }),
    });
    server.addService(PublicService, { ...publicService({ engine, store, status, groupsOf: (e) => epochs.groupsOf(e) }), ...ingressHandlers(consensus, genesis.consensus.maxMessageBytes) });
    const control = new grpc.Server();
    // A crash on request goes once the control server has shut down gracefully: only then has the reply to the
    // crash call left the process (over TLS it may still sit in the socket's buffers when the handler returns).
    const exitProcess = config.exit ?? ((code: number) => process.exit(code));
    const auth = config.controlKey === undefined ? undefined : new ControlAuthenticator(config.controlKey, index);
    control.addService(ControlService, controlService({ faults, log, exit: (code) => void shutdownGrpc(control).then(() => exitProcess(code)), auth, metrics, now: () => clock.wallNow() }));
    const http = metricsServer(registry, ready);
    const { certificate } = self;
    const credentials = serverCredentials(certificate, config.identitySecret);
    if (certificate === undefined) log.warn({ event: "links_plaintext" }, "genesis gives no TLS certificates: every gRPC port serves plaintext h2c, readable and alterable on the path");

    const closers: (() => Promise<void> | void)[] = [];
    const node = new RelayNode(
      {
        grpc: await bindGrpc(server, config.listen, credentials),
        control: await bindGrpc(control, config.controlListen, credentials),
        metrics: await listenHttp(http, config.metricsListen),
      },
      closers,
    );
    closers.push(
      () => engine.stop(),
      () => consensus.stop(),
      () => epochs.stop(),
      () => syncer.close(),
      () => transport.close(),
      () => shutdownGrpc(server),
      () => shutdownGrpc(control),
      () => new Promise<void>((resolve) => http.close(() => resolve())),
    );

    engine.start();
    consensus.start();
    epochs.start((round) => store.get(round)?.signature, store.latestRound);
    // A restarted node catches up right away instead of waiting for a stall or a later beacon.
    if (store.latestRound > 0n) syncer.request(undefined);
    return node;
  }

  /** Stops every component and listener. */
  async close(): Promise<void> {
    for (const close of this.closers) await close();
  }
}

function bindGrpc(server: grpc.Server, address: string, credentials: grpc.ServerCredentials): Promise<string> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, port) => {
      if (err) reject(new Error(`cannot listen on ${address}: ${err.message}`));
      else resolve(`${hostOf(address)}:${port}`);
    });
  });
}

function shutdownGrpc(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 2000);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

function listenHttp(server: HttpServer, address: string): Promise<string> {
  const host = hostOf(address);
  const port = Number(address.slice(address.lastIndexOf(":") + 1));
  return new Promise((resolve, reject) => {
    server.once("error", (err) => reject(new Error(`cannot listen on ${address}: ${err.message}`)));
    server.listen(port, host.replace(/^\[|\]$/g, ""), () => resolve(`${host}:${(server.address() as AddressInfo).port}`));
  });
}

function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(":"));
}
