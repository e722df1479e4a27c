// SPDX-License-Identifier: Apache-2.0
/** Public read API: status, beacons (by round and as a stream) and the registered groups. */
import * as grpc from "@grpc/grpc-js";
import type { BeaconEngine } from "../beacon/engine.js";
import type { GroupSet } from "../beacon/group-set.js";
import type { Beacon, NodeStatus, PublicServer } from "../gen/relaylab/v1/public.js";
import type { BeaconStore } from "../store/beacons.js";
import { grpcError } from "./errors.js";

export interface PublicDeps {
  readonly engine: BeaconEngine;
  readonly store: BeaconStore;
  readonly status: () => NodeStatus;
  /** The registered groups of an epoch, undefined when that epoch has none (yet). */
  readonly groupsOf: (epoch: bigint) => GroupSet | undefined;
}

/** The beacon half of the Public service; other Public RPCs (consensus) are served by their own modules. */
export type BeaconPublicHandlers = Pick<PublicServer, "status" | "getBeacon" | "watchBeacons" | "getGroups">;

export function publicService({ engine, store, status, groupsOf }: PublicDeps): BeaconPublicHandlers {
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
      const set = groupsOf(call.request.epoch);
      if (set === undefined) return callback(grpcError(grpc.status.NOT_FOUND, `no registered groups for epoch ${call.request.epoch} (not reached yet, or its DKG is still running)`));
      callback(null, {
        epoch: set.epoch,
        firstRound: set.firstRound,
        groups: set.groups.map((g) => ({ index: g.index, members: [...g.members], threshold: g.threshold, publicKey: g.commitments[0] ?? new Uint8Array() })),
      });
    },
  };
}
