// SPDX-License-Identifier: Apache-2.0
/** The registered groups of an epoch, with the per-member public key shares derived (and cached) from their commitments. */
import { publicKeyShare } from "../crypto/index.js";

/** A group whose DKG succeeded: its members, threshold and public polynomial (commitments[0] is the group key). */
export interface RegisteredGroup {
  /** Position in the epoch's registered set: what beacons and shares name as `group`. */
  readonly index: number;
  /** Index among the epoch's drawn candidate groups. */
  readonly candidate: number;
  /** Node indices; position i holds key share i+1. */
  readonly members: readonly number[];
  readonly threshold: number;
  readonly commitments: readonly Uint8Array[];
}

export class GroupSet {
  private readonly keyShares = new Map<string, Uint8Array>();

  constructor(
    readonly epoch: bigint,
    readonly firstRound: bigint,
    readonly groups: readonly RegisteredGroup[],
  ) {}

  get count(): number {
    return this.groups.length;
  }

  group(index: number): RegisteredGroup | undefined {
    return this.groups[index];
  }

  publicKey(index: number): Uint8Array | undefined {
    return this.groups[index]?.commitments[0];
  }

  /** The 96-B public key share of member `shareIndex` (1-based) of group `index`. */
  memberKey(index: number, shareIndex: number): Uint8Array {
    const key = `${index}/${shareIndex}`;
    let value = this.keyShares.get(key);
    if (value === undefined) {
      const group = this.groups[index];
      if (group === undefined) throw new RangeError(`no registered group ${index}`);
      value = publicKeyShare(group.commitments, shareIndex);
      this.keyShares.set(key, value);
    }
    return value;
  }

  /** 1-based share index of `node` in group `index`, or undefined when it is not a member. */
  shareIndexOf(index: number, node: number): number | undefined {
    const pos = this.groups[index]?.members.indexOf(node) ?? -1;
    return pos < 0 ? undefined : pos + 1;
  }
}
