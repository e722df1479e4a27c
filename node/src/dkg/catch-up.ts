// SPDX-License-Identifier: Apache-2.0
/**
 * Which later attempt of epoch 0's DKG a node may skip ahead to on its peers' word (epochs.ts gives the
 * argument): the highest a' such that more than f members of one candidate group of the node's current attempt
 * have each shown a packet of a' or later, i.e. the (f+1)-th highest attempt shown in that group. The groups
 * counted are those of the attempt the node is at, not of the attempt claimed: a claimer could otherwise name
 * attempt numbers until one draws a group with more than f byzantine members. Each sender is remembered by the
 * highest attempt it has shown, one number per sender, so a byzantine sender naming many attempts counts once.
 * Pure: the caller checks signatures first (only packets their sender signed are recorded, so senders are
 * genesis indices) and acts on the answer.
 */
import { faultBudget } from "./driver.js";

export interface AttemptClaimsOptions {
  /** The candidate groups (node indices) of epoch 0's DKG attempt `attempt`. */
  readonly candidatesOf: (attempt: number) => readonly (readonly number[])[];
  readonly threshold: number;
}

export class AttemptClaims {
  /** sender → the highest attempt it has shown. */
  readonly #shown = new Map<number, number>();
  readonly #opts: AttemptClaimsOptions;

  constructor(opts: AttemptClaimsOptions) {
    this.#opts = opts;
  }

  /** Whether a packet of `attempt` from `sender` would tell something new (if not, it is worth no signature check). */
  raises(sender: number, attempt: number): boolean {
    return attempt > (this.#shown.get(sender) ?? -1);
  }

  /** Records that `sender` signed a packet of `attempt`. */
  record(sender: number, attempt: number): void {
    if (this.raises(sender, attempt)) this.#shown.set(sender, attempt);
  }

  /** The attempt a node at `current` may skip to, or undefined while no candidate group of `current` vouches for a later one. */
  target(current: number): number | undefined {
    let best: number | undefined;
    for (const members of this.#opts.candidatesOf(current)) {
      const f = faultBudget(members.length, this.#opts.threshold);
      const shown = members.map((m) => this.#shown.get(m) ?? -1).sort((a, b) => b - a);
      const vouched = shown[f];
      if (vouched !== undefined && vouched > current && (best === undefined || vouched > best)) best = vouched;
    }
    return best;
  }

  /** Forgets what was shown of `attempt` and earlier ones: this node has reached `attempt`. */
  forgetUpTo(attempt: number): void {
    for (const [sender, a] of this.#shown) if (a <= attempt) this.#shown.delete(sender);
  }

  /** Senders remembered (at most one entry each). */
  get size(): number {
    return this.#shown.size;
  }
}
