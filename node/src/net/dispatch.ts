// SPDX-License-Identifier: Apache-2.0
/**
 * Envelope dispatch: each authenticated, fault-filtered envelope from the transport goes to the one
 * protocol that owns its field (beacon shares and beacons to the engine, DKG packets to the epoch
 * manager, blocks, consensus shares, certificates and ingress to consensus). An envelope no protocol
 * takes is dropped and counted as malformed.
 */
import type { BeaconEngine } from "../beacon/engine.js";
import type { ConsensusDriver } from "../consensus/driver.js";
import type { EpochManager } from "../dkg/epochs.js";
import type { Metrics } from "../metrics/registry.js";
import type { EnvelopeHandler } from "./transport.js";

export interface DispatchTargets {
  readonly beacon: Pick<BeaconEngine, "onShare" | "onBeacon">;
  readonly dkg: Pick<EpochManager, "receive">;
  /** Returns false when the envelope carries nothing consensus knows. */
  readonly consensus: Pick<ConsensusDriver, "onEnvelope">;
  readonly metrics: Metrics | null;
}

export function dispatchEnvelopes({ beacon, dkg, consensus, metrics }: DispatchTargets): EnvelopeHandler {
  return (from, envelope, wire) => {
    if (envelope.share) beacon.onShare(from, envelope.share, wire);
    else if (envelope.beacon) beacon.onBeacon(from, envelope.beacon);
    else if (envelope.dkg) dkg.receive(envelope.dkg);
    else if (!consensus.onEnvelope(from, envelope)) metrics?.messagesDropped.inc({ reason: "malformed" });
  };
}
