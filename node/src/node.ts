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
import { GroupSet } from "./beacon/group-set.js";
import { drawGroups } from "./beacon/groups.js";
import { systemClock, type Clock } from "./clock.js";
import type { Genesis } from "./config/index.js";
import type { SecretShare } from "./crypto/index.js";
import { DkgDriver } from "./dkg/driver.js";
import { FaultController } from "./faults/controller.js";
import { ControlService, type FaultSet } from "./gen/relaylab/v1/control.js";
import type { SyncRequest } from "./gen/relaylab/v1/protocol.js";
import { PublicService, type Beacon, type NodeStatus } from "./gen/relaylab/v1/public.js";
import { grpcError } from "./net/errors.js";
import type { Logger } from "./log.js";
import { metricsServer } from "./metrics/http.js";
import { createMetrics, type Metrics } from "./metrics/registry.js";
import { controlService } from "./net/control-service.js";
import { publicService } from "./net/public-service.js";
import { Syncer } from "./net/sync.js";
import { Transport } from "./net/transport.js";
import { loadGroups, saveGroups } from "./store/groups.js";
import { BeaconStore } from "./store/beacons.js";

export interface NodeConfig {
  readonly genesis: Genesis;
  readonly index: number;
  readonly identitySecret: Uint8Array;
  readonly dataDir: string;
  /** host:port for Protocol and Public. */
  readonly listen: string;
  readonly controlListen: string;
  readonly metricsListen: string;
  readonly faults?: FaultSet | undefined;
  readonly log: Logger;
  readonly clock?: Clock;
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
    const { genesis, index, log } = config;
    const clock = config.clock ?? systemClock;
    const self = genesis.nodes[index];
    if (self === undefined) throw new Error(`--index ${index} is not a node of the genesis (it has ${genesis.nodes.length} nodes, 0..${genesis.nodes.length - 1})`);
    mkdirSync(config.dataDir, { recursive: true });

    const registry = new Registry();
    const metrics: Metrics = createMetrics(registry);
    metrics.nodeInfo.set({ subnet: genesis.subnet, data_center: self.dataCenter, node: String(index) }, 1);
    const faults = new FaultController((n) => genesis.nodes[n]?.dataCenter, clock, log, metrics);
    if (config.faults) faults.apply(config.faults);
    const store = new BeaconStore(config.dataDir);
    const transport = new Transport({ self: index, genesis, identitySecret: config.identitySecret, clock, faults, log, metrics });
    const engine = new BeaconEngine({
      self: index,
      genesis,
      clock,
      faults,
      log,
      metrics,
      store,
      send: (to, envelope) => transport.send(to, envelope),
      requestSync: (peer) => syncer.request(peer),
    });
    const syncer = new Syncer({
      self: index,
      nodeCount: genesis.nodes.length,
      clientFor: (peer) => transport.clientFor(peer),
      fromRound: () => store.latestRound + 1n,
      accept: (beacon) => engine.acceptSynced(beacon),
      faults,
      log,
      metrics,
    });

    let groupsReady = false;
    let acceptedSinceStart = false;
    engine.subscribe(() => (acceptedSinceStart = true));
    let dkg: DkgDriver | undefined;
    const startRounds = (set: GroupSet, shares: Map<number, SecretShare>): void => {
      groupsReady = true;
      engine.start(set, shares);
      syncer.request(undefined);
    };

    transport.onEnvelope((from, envelope, wire) => {
      if (envelope.share) engine.onShare(from, envelope.share, wire);
      else if (envelope.beacon) engine.onBeacon(from, envelope.beacon);
      else if (envelope.dkg) dkg?.receive(envelope.dkg);
      else metrics.messagesDropped.inc({ reason: "malformed" });
    });

    const status = (): NodeStatus => ({
      subnet: genesis.subnet,
      index,
      dataCenter: self.dataCenter,
      round: store.latestRound,
      ready: groupsReady && acceptedSinceStart,
      registeredGroups: engine.groupSet?.count ?? 0,
      epoch: engine.groupSet?.epoch ?? 0n,
      stallEvents: BigInt(engine.stallEvents),
      stalled: engine.stalled,
      finalizedHeight: 0n,
      activeFaults: faults.activeKinds(),
      roundLatencyP50Seconds: engine.roundLatencyP50(),
    });

    const server = new grpc.Server(SERVER_OPTIONS);
    transport.register(server, {
      syncChain: (call: grpc.ServerWritableStream<SyncRequest, Beacon>) => {
        const { fromRound, requester } = call.request;
        if (faults.paused() || faults.decide(requester, "received", 0).drop) {
          call.emit("error", grpcError(grpc.status.UNAVAILABLE, "link to this node is cut by an injected fault"));
          return;
        }
        for (const beacon of store.from(fromRound)) call.write(beacon);
        call.end();
      },
    });
    server.addService(PublicService, publicService({ engine, store, status }));
    const control = new grpc.Server();
    control.addService(ControlService, controlService(faults, log, config.exit ?? ((code) => process.exit(code))));
    const http = metricsServer(registry, () => groupsReady && acceptedSinceStart);

    const closers: (() => Promise<void> | void)[] = [];
    const node = new RelayNode(
      {
        grpc: await bindGrpc(server, config.listen),
        control: await bindGrpc(control, config.controlListen),
        metrics: await listenHttp(http, config.metricsListen),
      },
      closers,
    );
    closers.push(
      () => engine.stop(),
      () => dkg?.stop(),
      () => syncer.close(),
      () => transport.close(),
      () => shutdownGrpc(server),
      () => shutdownGrpc(control),
      () => new Promise<void>((resolve) => http.close(() => resolve())),
    );

    const persisted = loadGroups(config.dataDir);
    if (persisted !== undefined) {
      log.info({ event: "groups_loaded", epoch: Number(persisted.epoch), registered: persisted.groups.length }, "groups loaded from data dir");
      metrics.registeredGroups.set(persisted.groups.length);
      startRounds(new GroupSet(persisted.epoch, persisted.firstRound, persisted.groups), persisted.shares);
    } else {
      const candidates = drawGroups(genesis.seed, 0n, genesis.nodes.length, genesis.groups.count, genesis.groups.size);
      const driver = new DkgDriver({ self: index, genesis, identitySecret: config.identitySecret, epoch: 0n, candidates, send: (to, e) => transport.send(to, e), clock, faults, log, metrics });
      dkg = driver;
      driver.start();
      void driver.registration.then(({ groups, shares }) => {
        saveGroups(config.dataDir, { epoch: 0n, firstRound: 1n, groups, shares });
        startRounds(new GroupSet(0n, 1n, groups), shares);
      });
    }
    return node;
  }

  /** Stops every component and listener. */
  async close(): Promise<void> {
    for (const close of this.closers) await close();
  }
}

function bindGrpc(server: grpc.Server, address: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => {
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
