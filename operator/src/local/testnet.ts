// SPDX-License-Identifier: Apache-2.0
/**
 * A whole Threshold Relay testnet on this machine: every node its own OS process on 127.0.0.1,
 * built from the same Subnet/DataCenter objects and the same pure genesis code as the operator.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { type Genesis, parseGenesis } from "@relaylab/node/config";
import type { CryptoBackend } from "@relaylab/node/metrics-names";
import { faultSetJson, NodeClient, pushFaults } from "@relaylab/node/client";
import { generateControlKey, generateIdentity } from "@relaylab/node/identity";
import { type DataCenter, resolveSubnetSpec } from "../api/index.js";
import { type FaultSetSpec, faultSetFor, genesisDocument, genesisForSubnet, placeNodes, selectDataCenters } from "../genesis/index.js";
import { TestnetObserver } from "./observer.js";
import { freePorts } from "./ports.js";
import { CONTROL_CALL_DEADLINE_MS, type NodeEndpoints, prepareRunDir, prometheusConfig, prometheusTargets, type RetiredRun, retirePreviousRun, type RunState, runFiles, writeJson } from "./run-dir.js";
import { NodeSupervisor } from "./supervisor.js";
import type { Topology } from "./topology.js";

export interface TestnetOptions {
  readonly topology: Topology;
  readonly runDir: string;
  readonly detached: boolean;
  /** 64 hex characters; when omitted, the Subnet's spec.genesisSeed, else random. */
  readonly seed?: string | undefined;
  /** Prometheus rule files to name in the generated prometheus.yml. */
  readonly ruleFiles?: readonly string[];
  readonly logLevel?: string;
  /** Every node's --crypto-backend; the node's own default when omitted. */
  readonly cryptoBackend?: CryptoBackend | undefined;
}

export class LocalTestnet {
  readonly genesis: Genesis;
  readonly endpoints: readonly NodeEndpoints[];
  readonly supervisor: NodeSupervisor;
  readonly observer: TestnetObserver;
  readonly runDir: string;
  /** The earlier run this one replaced in the run directory, if any. */
  readonly previousRun: RetiredRun | undefined;
  readonly #baseline: readonly FaultSetSpec[];
  readonly #controls = new Map<number, NodeClient>();
  readonly #detached: boolean;
  readonly #cryptoBackend: CryptoBackend | undefined;
  readonly #controlKey: Uint8Array;

  private constructor(genesis: Genesis, endpoints: NodeEndpoints[], baseline: FaultSetSpec[], options: TestnetOptions, previousRun: RetiredRun | undefined, controlKey: Uint8Array) {
    this.genesis = genesis;
    this.previousRun = previousRun;
    this.endpoints = endpoints;
    this.#baseline = baseline;
    this.runDir = options.runDir;
    this.#detached = options.detached;
    this.#cryptoBackend = options.cryptoBackend;
    this.#controlKey = controlKey;
    this.supervisor = new NodeSupervisor({ detached: options.detached });
    this.observer = new TestnetObserver(endpoints, genesis.seed);
  }

  /**
   * Places the nodes, makes identities and genesis, and writes the run directory. Starts nothing.
   * A new genesis starts on clean node data: an earlier run in the directory is moved aside
   * (retirePreviousRun). Throws PlacementError / GenesisError with a message saying what to change
   * in the topology, and RunDirBusyError while an earlier run's nodes still run there.
   */
  static async create(options: TestnetOptions): Promise<LocalTestnet> {
    const { subnet, dataCenters } = options.topology;
    const spec = resolveSubnetSpec(subnet.spec);
    const spanned = selectDataCenters(subnet, dataCenters);
    const placements = placeNodes(subnet, dataCenters);
    const identities = placements.map(() => generateIdentity());
    const ports = await freePorts(placements.length * 3);
    const addresses = placements.map((p, i) => ({
      index: p.index,
      dataCenter: p.dataCenter,
      grpc: `127.0.0.1:${ports[3 * i]}`,
      control: `127.0.0.1:${ports[3 * i + 1]}`,
      metrics: `127.0.0.1:${ports[3 * i + 2]}`,
    }));
    const genesisInput = genesisForSubnet({
      subnet,
      placements,
      identitySecrets: identities.map((id) => id.secretKey),
      addressOf: (index) => addresses[index]?.grpc ?? "",
      // A replayed run's seed, else the Subnet's pinned one, else a new network each run.
      seed: options.seed ?? spec.genesisSeed ?? randomBytes(32).toString("hex"),
    });
    const genesis = parseGenesis(genesisInput);
    const endpoints: NodeEndpoints[] = addresses.map((a, i) => ({ ...a, certificate: genesis.nodes[i]?.certificate }));
    const byName = new Map(spanned.map((dc) => [dc.metadata.name ?? "", dc]));
    const baseline = placements.map((p) => faultSetFor(p.index, spec.nodes, byName.get(p.dataCenter) as DataCenter, spanned, spec.byzantine));

    const files = runFiles(options.runDir);
    const previousRun = retirePreviousRun(options.runDir);
    prepareRunDir(options.runDir, placements.length);
    writeFileSync(files.genesis, genesisDocument(genesisInput).json);
    identities.forEach((id, i) => writeFileSync(files.key(i), `${id.secretKey}\n`, { mode: 0o600 }));
    const control = generateControlKey();
    writeFileSync(files.controlKey, `${control.secretKey}\n`, { mode: 0o600 });
    writeFileSync(files.controlPub, `${control.publicKey}\n`);
    baseline.forEach((f, i) => writeJson(files.faults(i), faultSetJson(f)));
    writeJson(files.targets, prometheusTargets(genesis.subnet, endpoints));
    writeFileSync(files.prometheus, prometheusConfig(files.targets, options.ruleFiles ?? []));
    return new LocalTestnet(genesis, endpoints, baseline, options, previousRun, Buffer.from(control.secretKey, "hex"));
  }

  /** The node program's flags for node `index`. */
  nodeArgs(index: number, logLevel = "info"): string[] {
    const e = this.#endpoint(index);
    const files = runFiles(this.runDir);
    return [
      "--genesis", files.genesis,
      "--index", String(index),
      "--data-dir", files.data(index),
      "--identity-key-file", files.key(index),
      "--listen", e.grpc,
      "--control-listen", e.control,
      "--control-key", files.controlPub,
      "--metrics-listen", e.metrics,
      "--faults", files.faults(index),
      "--log-level", logLevel,
      ...(this.#cryptoBackend !== undefined ? ["--crypto-backend", this.#cryptoBackend] : []),
    ];
  }

  /** Starts every node process and records the run state. */
  start(logLevel?: string): void {
    for (const e of this.endpoints) {
      this.supervisor.start({ index: e.index, args: this.nodeArgs(e.index, logLevel), logFile: runFiles(this.runDir).log(e.index) });
    }
    this.writeState();
  }

  /** Starts a stopped node again (same identity, data dir and baseline faults). */
  restart(index: number): void {
    this.supervisor.restart(index);
    this.writeState();
  }

  writeState(): void {
    const state: RunState = {
      subnet: this.genesis.subnet,
      runDir: this.runDir,
      startedAt: new Date().toISOString(),
      detached: this.#detached,
      nodes: this.endpoints.map((e) => ({ ...e, pid: this.supervisor.pid(e.index) })),
    };
    writeJson(runFiles(this.runDir).state, state);
  }

  /** The node's fault set from the topology (network profile, byzantine role). */
  baselineFaults(index: number): FaultSetSpec {
    const f = this.#baseline[index];
    if (!f) throw new Error(`no node ${index}`);
    return f;
  }

  /** Replaces a running node's faults through its control API. */
  async setFaults(index: number, faults: FaultSetSpec): Promise<void> {
    await pushFaults(this.#control(index), index, faults);
  }

  /** Node `index`'s identity secret key from the run directory, or undefined when it cannot be read. */
  identitySecret(index: number): Uint8Array | undefined {
    try {
      return Buffer.from(readFileSync(runFiles(this.runDir).key(index), "utf8").trim(), "hex");
    } catch {
      return undefined;
    }
  }

  async stop(): Promise<void> {
    this.observer.stop();
    for (const c of this.#controls.values()) c.close();
    await this.supervisor.stopAll();
  }

  #control(index: number): NodeClient {
    let c = this.#controls.get(index);
    if (!c) {
      c = new NodeClient({ control: this.#endpoint(index).control, certificate: this.#endpoint(index).certificate }, { controlAuth: { secretKey: this.#controlKey, node: index }, deadlineMs: CONTROL_CALL_DEADLINE_MS });
      this.#controls.set(index, c);
    }
    return c;
  }

  #endpoint(index: number): NodeEndpoints {
    const e = this.endpoints[index];
    if (!e) throw new Error(`no node ${index} in this testnet (it has ${this.endpoints.length})`);
    return e;
  }
}
