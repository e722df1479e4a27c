// SPDX-License-Identifier: Apache-2.0
/** Public read API: status, beacons (by round and as a stream) and the registered groups. */
import * as grpc from "@grpc/grpc-js";
import type { BeaconEngine } from "../beacon/engine.js";
import type { Beacon, NodeStatus, PublicServer } from "../gen/relaylab/v1/public.js";
import type { BeaconStore } from "../store/beacons.js";
import { grpcError } from "./errors.js";

export interface PublicDeps {
  readonly engine: BeaconEngine;
  readonly store: BeaconStore;
  readonly status: () => NodeStatus;
}

export function publicService({ engine, store, status }: PublicDeps): PublicServer {
  return {
    status: (_call, callback) => callback(null, status()),
    getBeacon: (call, callback) => {
      const round = call.request.round === 0n ? store.latestRound : call.request.round;
      const beacon = store.get(round);
      if (beacon === undefined) callback(grpcError(grpc.status.NOT_FOUND, `no beacon for round ${round} yet (latest is ${store.latestRound})`));
      else callback(null, beacon);
    },
    watchBeacons: (call) => {
      // Subscribe before replaying, and skip live beacons the replay already covered, so no round is missed.
      let next = call.request.fromRound < 1n ? 1n : call.request.fromRound;
      const emit = (beacon: Beacon): void => {
        if (beacon.round < next || call.cancelled) return;
        next = beacon.round + 1n;
        call.write(beacon);
      };
      const unsubscribe = engine.subscribe(emit);
      call.on("cancelled", unsubscribe);
      call.on("close", unsubscribe);
      for (const beacon of store.from(next)) emit(beacon);
    },
    getGroups: (call, callback) => {
      const set = engine.groupSet;
      if (set === undefined) return callback(grpcError(grpc.status.UNAVAILABLE, "groups are not registered yet (DKG still running)"));
      if (call.request.epoch !== set.epoch) return callback(grpcError(grpc.status.NOT_FOUND, `epoch ${call.request.epoch} unknown; current epoch is ${set.epoch}`));
      callback(null, {
        epoch: set.epoch,
        firstRound: set.firstRound,
        groups: set.groups.map((g) => ({ index: g.index, members: [...g.members], threshold: g.threshold, publicKey: g.commitments[0] ?? new Uint8Array() })),
      });
    },
  };
}
