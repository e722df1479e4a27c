// SPDX-License-Identifier: Apache-2.0
// EpochManagers in one process over an in-memory network on a manual clock that moves only when no packet is
// in flight: the DKG tests' network of whole nodes.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { Registry } from "prom-client";
import type { Genesis } from "../../src/config/index.js";
import { EpochManager } from "../../src/dkg/epochs.js";
import type { DkgPacket, Envelope } from "../../src/gen/relaylab/v1/protocol.js";
import { silentLogger, type Logger } from "../../src/log.js";
import { createMetrics } from "../../src/metrics/registry.js";
import { FakeClock } from "../../src/testing/fake-clock.js";

export interface EpochNet {
  readonly managers: EpochManager[];
  readonly registries: Registry[];
  /** Every envelope any manager sent, delivered or not. */
  readonly sent: { from: number; to: number; envelope: Envelope }[];
  readonly clock: FakeClock;
  /** Stops node `self`'s manager and puts a new one over `dataDir` (with a new registry) in its place; not started. */
  restart(self: number, dataDir: string): EpochManager;
  /** Delivers packets (advancing the clock by the retransmit interval whenever none is in flight) until `done`. */
  pumpUntil(what: string, done: () => boolean): Promise<void>;
}

export interface EpochNetOptions {
  readonly genesis: Genesis;
  readonly secrets: readonly Uint8Array[];
  /** One data dir per node (created if missing). */
  readonly dirs: readonly string[];
  /** Node `self`'s logger. @default silentLogger */
  readonly log?: (self: number) => Logger;
  /** Whether a packet reaches `to`. @default always */
  readonly deliver?: (from: number, to: number, packet: DkgPacket) => boolean;
}

export function epochNetwork({ genesis, secrets, dirs, log = () => silentLogger(), deliver = () => true }: EpochNetOptions): EpochNet {
  const clock = new FakeClock(0);
  const queue: { from: number; to: number; packet: DkgPacket }[] = [];
  const sent: EpochNet["sent"] = [];
  const registries = dirs.map(() => new Registry());
  const create = (self: number, dataDir: string): EpochManager => {
    mkdirSync(dataDir, { recursive: true });
    return new EpochManager({
      self,
      genesis,
      identitySecret: secrets[self]!,
      dataDir,
      send: (to, envelope) => {
        sent.push({ from: self, to, envelope });
        if (envelope.dkg !== undefined) queue.push({ from: self, to, packet: envelope.dkg });
      },
      clock,
      log: log(self),
      metrics: createMetrics(registries[self]!),
      onRegistered: () => undefined,
    });
  };
  const managers = dirs.map((dataDir, self) => create(self, dataDir));
  return {
    managers,
    registries,
    sent,
    clock,
    restart(self, dataDir) {
      managers[self]?.stop();
      registries[self] = new Registry();
      return (managers[self] = create(self, dataDir));
    },
    async pumpUntil(what, done) {
      for (let step = 0; !done(); step++) {
        assert.ok(step < 400_000, `gave up waiting for ${what}`);
        const next = queue.shift();
        if (next === undefined) {
          await new Promise((r) => setImmediate(r));
          if (queue.length === 0 && !done()) clock.advance(genesis.timings.shareRetransmitMs);
          continue;
        }
        if (deliver(next.from, next.to, next.packet)) managers[next.to]?.receive(next.packet);
      }
    },
  };
}
