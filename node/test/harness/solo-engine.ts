// SPDX-License-Identifier: Apache-2.0
/** Node 0's beacon engine alone, for feeding it peer input directly: in-memory store, nothing sent, no sync. */
import { BeaconEngine } from "../../src/beacon/engine.js";
import type { Clock } from "../../src/clock.js";
import type { Genesis } from "../../src/config/index.js";
import { NOBLE_ROUND_CRYPTO, type RoundCrypto } from "../../src/crypto/backend/index.js";
import type { Logger } from "../../src/log.js";
import { silentLogger } from "../../src/log.js";
import type { Metrics } from "../../src/metrics/registry.js";
import { BeaconStore } from "../../src/store/beacons.js";

export interface SoloEngineOptions {
  readonly clock: Clock;
  readonly crypto?: RoundCrypto;
  readonly metrics?: Metrics | null;
  readonly log?: Logger;
}

export function soloEngine(genesis: Genesis, { clock, crypto = NOBLE_ROUND_CRYPTO, metrics = null, log = silentLogger() }: SoloEngineOptions): { engine: BeaconEngine; store: BeaconStore } {
  const store = new BeaconStore(undefined);
  const engine = new BeaconEngine({ self: 0, genesis, clock, log, metrics, crypto, store, send: () => 0, requestSync: () => undefined });
  return { engine, store };
}
