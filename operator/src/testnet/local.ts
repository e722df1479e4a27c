// SPDX-License-Identifier: Apache-2.0
/** The testnet port over a local testnet: every node an OS process on 127.0.0.1 (local/testnet.ts). */
import type { Genesis } from "@relaylab/node/config";
import type { FaultSetSpec } from "../genesis/index.js";
import type { TestnetObserver } from "../local/observer.js";
import type { NodeEndpoints } from "../local/run-dir.js";
import type { LocalTestnet } from "../local/testnet.js";
import type { TestnetPort } from "./port.js";

export class LocalProvider implements TestnetPort {
  readonly testnet: LocalTestnet;

  constructor(testnet: LocalTestnet) {
    this.testnet = testnet;
  }

  get genesis(): Genesis {
    return this.testnet.genesis;
  }

  get endpoints(): readonly NodeEndpoints[] {
    return this.testnet.endpoints;
  }

  get observer(): TestnetObserver {
    return this.testnet.observer;
  }

  get logs(): string {
    return `node logs in ${this.testnet.runDir}/logs`;
  }

  start(logLevel?: string): Promise<void> {
    this.testnet.start(logLevel);
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return this.testnet.stop();
  }

  running(): number[] {
    return this.testnet.supervisor.running;
  }

  /** SIGKILL to the node's process group. */
  crash(index: number): Promise<void> {
    return this.testnet.supervisor.kill(index);
  }

  /** Starts the process again with the same flags: same identity key, data dir and baseline faults file. */
  restart(index: number): Promise<void> {
    if (!this.testnet.supervisor.isRunning(index)) this.testnet.restart(index);
    return Promise.resolve();
  }

  baselineFaults(index: number): FaultSetSpec {
    return this.testnet.baselineFaults(index);
  }

  setFaults(index: number, faults: FaultSetSpec): Promise<void> {
    return this.testnet.setFaults(index, faults);
  }

  identitySecret(index: number): Uint8Array | undefined {
    return this.testnet.identitySecret(index);
  }
}
