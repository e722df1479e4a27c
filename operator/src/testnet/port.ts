// SPDX-License-Identifier: Apache-2.0
/**
 * The testnet port: what the chaos engine, the run loop, the verifier and the verdicts need of a
 * running Threshold Relay testnet, whatever runs it. Two providers implement it: local processes
 * on this machine (local.ts) and a Subnet's pods on Kubernetes (kube.ts).
 */
import type { Genesis } from "@relaylab/node/config";
import type { GroupSet } from "@relaylab/node/gen/relaylab/v1/public";
import type { FaultSetSpec } from "../genesis/index.js";
import type { TestnetObserver } from "../local/observer.js";
import type { NodeEndpoints } from "../local/run-dir.js";

export interface TestnetPort {
  /** The genesis every node runs (seed, members, groups, timings). */
  readonly genesis: Genesis;
  /**
   * Every node, by index: its data center and where its Public/Protocol gRPC, Control gRPC and
   * /metrics endpoints answer (from this process).
   */
  readonly endpoints: readonly NodeEndpoints[];
  /** Follows every node's beacons (the independent verifier's ledger) and statuses. */
  readonly observer: TestnetObserver;
  /** Where the nodes' logs are, for error messages ("node logs in DIR", "kubectl logs …"). */
  readonly logs: string;

  /** Makes the nodes run (local: spawns them; Kubernetes: checks that the Subnet's pods exist). */
  start(logLevel?: string): Promise<void>;
  /** Stops following the nodes and releases clients; a local testnet also stops its processes. */
  stop(): Promise<void>;

  /** Nodes this testnet considers up: not crashed by `crash` since their last `restart`. */
  running(): number[];
  /** Kills the node's process at once, as a crash would. Resolves when it is down. */
  crash(index: number): Promise<void>;
  /**
   * Brings a crashed node back on the same identity and data. Resolves when its process is
   * started again (local) or its pod runs again (Kubernetes); its APIs may answer a little later.
   */
  restart(index: number): Promise<void>;

  /** The node's faults from its topology (data center network profile, byzantine role). */
  baselineFaults(index: number): FaultSetSpec;
  /**
   * Replaces the node's faults through its Control API. A `pauseMs` above 0 pauses the node once
   * for that long (its fault controller drops all traffic), then it resumes with the other faults.
   */
  setFaults(index: number, faults: FaultSetSpec): Promise<void>;

  /**
   * Node `index`'s identity secret key, where this process holds it (a local testnet's run directory), for the
   * impostor step's replayed and relayed Hellos; undefined where only the node holds it (Kubernetes).
   */
  identitySecret(index: number): Uint8Array | undefined;
}

/** The registered groups the verifier learned from the nodes for `epoch` (the DKG's output). */
export function groupsOf(testnet: Pick<TestnetPort, "observer">, epoch: number): GroupSet | undefined {
  return testnet.observer.ledger.groupSet(epoch);
}
