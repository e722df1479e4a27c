// SPDX-License-Identifier: Apache-2.0
/** Public read API: status, beacons (by round and as a stream) and the registered groups. */
import * as grpc from "@grpc/grpc-js";
import type { BeaconEngine } from "../beacon/engine.js";
import type { GroupSet } from "../beacon/group-set.js";
import type { NodeStatus, PublicServer } from "../gen/relaylab/v1/public.js";
import type { BeaconStore } from "../store/beacons.js";
import { grpcError } from "./errors.js";
import { streamEnded, writePaced } from "./stream.js";

export interface PublicDeps {
  /** Tells when a beacon was accepted; the beacons themselves are read from the store. */
  readonly engine: Pick<BeaconEngine, "subscribe">;
  readonly store: Pick<BeaconStore, "get" | "latestRound">;
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
      // Pulled from the store one beacon at a time, written only while the stream has room: a watcher that
      // reads slowly (or not at all) falls behind instead of making this node buffer the chain for it.
      let next = call.request.fromRound < 1n ? 1n : call.request.fromRound;
      let wake: (() => void) | undefined;
      const unsubscribe = engine.subscribe(() => wake?.());
      const stop = (): void => {
        unsubscribe();
        wake?.();
      };
      call.on("cancelled", stop);
      call.on("close", stop);
      const pump = async (): Promise<void> => {
        while (!streamEnded(call)) {
          const beacon = store.get(next);
          if (beacon === undefined) {
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
            continue;
          }
          next++;
          if (!(await writePaced(call, beacon))) break;
        }
        unsubscribe();
      };
      void pump();
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
