// SPDX-License-Identifier: Apache-2.0
/**
 * The distribution of the number of groups that crash steps leave below threshold, for the group
 * set a run actually registered, when each step crashes a uniformly random set of k nodes.
 *
 * Each group alone stalls with the hypergeometric P[stall] (stall-model.ts), but the groups of one
 * set share members: one crash that hits a node in three groups hits all three. Counting every
 * (step, group) pair as an independent trial therefore understates the spread, and a binomial
 * interval around P[stall] fails honest runs far more often than its confidence says. This module
 * counts over the crash sets themselves, exactly where there are few enough of them and from a
 * fixed-seed sample otherwise, so the acceptance region of a verdict holds the confidence it names.
 */
import { seededRandom } from "./selectors.js";

/** Beyond this many k-subsets a step's distribution is sampled instead of enumerated. */
const EXACT_LIMIT = 250_000;
const SAMPLES = 100_000;

export interface StalledGroup {
  readonly members: readonly number[];
  readonly threshold: number;
}

/** Groups of `groups` below threshold when the nodes in `down` are crashed. */
export function stalledGroups(groups: readonly StalledGroup[], down: ReadonlySet<number>): number {
  return groups.filter((g) => g.members.filter((m) => !down.has(m)).length < g.threshold).length;
}

/** P[s groups stalled] for s = 0..groups.length, when k of `nodes` nodes crash uniformly at random. */
export function stallCountOneStep(nodes: number, k: number, groups: readonly StalledGroup[]): number[] {
  const counts = new Array<number>(groups.length + 1).fill(0);
  let total = 0;
  const tally = (down: ReadonlySet<number>) => {
    const s = stalledGroups(groups, down);
    counts[s] = (counts[s] ?? 0) + 1;
    total += 1;
  };
  if (subsetCount(nodes, k) <= EXACT_LIMIT) forEachSubset(nodes, k, tally);
  else {
    // A fixed seed keeps the verdict of a recorded run reproducible.
    const random = seededRandom(nodes * 1_000_003 + k);
    for (let i = 0; i < SAMPLES; i++) tally(randomSubset(nodes, k, random));
  }
  return counts.map((c) => c / total);
}

/** The distribution of the stalled groups summed over steps that crash `crashed[i]` nodes each. */
export function stallCountDistribution(nodes: number, crashed: readonly number[], groups: readonly StalledGroup[]): number[] {
  const perK = new Map<number, number[]>();
  let dist = [1];
  for (const k of crashed) {
    let step = perK.get(k);
    if (!step) perK.set(k, (step = stallCountOneStep(nodes, k, groups)));
    dist = convolve(dist, step);
  }
  return dist;
}

/**
 * The central region of `dist` at `confidence`: the counts x with P[X ≤ x] and P[X ≥ x] both above
 * (1 − confidence) / 2. A count outside it is that unlikely under the model.
 */
export function centralRegion(dist: readonly number[], confidence: number): { low: number; high: number; mean: number } {
  const tail = (1 - confidence) / 2;
  // A little slack so counts whose tail is exactly the cut are not refused by float rounding.
  const eps = 1e-12;
  let below = 0;
  let low = -1;
  let high = -1;
  let mean = 0;
  for (let x = 0; x < dist.length; x++) {
    const p = dist[x] ?? 0;
    mean += x * p;
    const atMost = below + p;
    const atLeast = 1 - below;
    if (atMost > tail - eps && atLeast > tail - eps) {
      if (low < 0) low = x;
      high = x;
    }
    below = atMost;
  }
  return { low, high, mean };
}

function convolve(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(a.length + b.length - 1).fill(0);
  a.forEach((pa, i) => b.forEach((pb, j) => (out[i + j] = (out[i + j] ?? 0) + pa * pb)));
  return out;
}

function subsetCount(n: number, k: number): number {
  let c = 1;
  for (let i = 0; i < k; i++) c = (c * (n - i)) / (i + 1);
  return c;
}

function forEachSubset(n: number, k: number, visit: (s: ReadonlySet<number>) => void): void {
  const chosen: number[] = [];
  const walk = (from: number) => {
    if (chosen.length === k) return visit(new Set(chosen));
    for (let i = from; i <= n - (k - chosen.length); i++) {
      chosen.push(i);
      walk(i + 1);
      chosen.pop();
    }
  };
  walk(0);
}

function randomSubset(n: number, k: number, random: () => number): Set<number> {
  const out = new Set<number>();
  while (out.size < k) out.add(Math.floor(random() * n));
  return out;
}

