// SPDX-License-Identifier: Apache-2.0
/**
 * The beacon engine's extension point: what this node sends of its own signature share in a round.
 * The engine computes what the protocol sends; a strategy may change it. The composition root picks
 * the strategy (faults/ supplies the misbehaving ones); `honestBeacon` is the protocol itself.
 */

/** This node's share of a round as the protocol sends it: its signature to the members the fan-out chose. */
export interface ShareSend {
  readonly signature: Uint8Array;
  readonly targets: readonly number[];
}

/** The round a share belongs to, for a strategy that needs more than the share itself. */
export interface ShareRound {
  readonly round: bigint;
  /** The round message the share signs. */
  readonly message: Uint8Array;
  /** Signs `message` with this node's key share of the round's group. */
  readonly sign: (message: Uint8Array) => Uint8Array;
}

export interface BeaconStrategy {
  /** What to send instead of `share`; undefined sends nothing. */
  share(share: ShareSend, round: ShareRound): ShareSend | undefined;
}

export const honestBeacon: BeaconStrategy = { share: (share) => share };
