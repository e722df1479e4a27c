// SPDX-License-Identifier: Apache-2.0
/**
 * Group-aware victim selection: "t−1 members of group X", "g−t+1 members of the group that
 * signs round R", "one node per data center", "N random nodes". Pure given its context, and
 * seeded, so the same run picks the same victims; the chosen victims are recorded for replay.
 */
import { selectGroup } from "@relaylab/node/beacon";
import type { GroupSet } from "@relaylab/node/gen/relaylab/v1/public";
import type { Target } from "../api/index.js";
import { evalMemberCount } from "./experiment.js";

export interface SelectionContext {
  /** Node index → data center, for every node of the subnet. */
  readonly dataCenters: readonly string[];
  /** The registered groups in force now. */
  readonly groups: GroupSet | undefined;
  /** Highest verified round now. */
  readonly round: number;
  /** The agreed beacon signature of a round, when known. */
  readonly beacon: (round: number) => Uint8Array | undefined;
  /** Victims of earlier steps, by step name. */
  readonly stepVictims: ReadonlyMap<string, readonly number[]>;
  readonly random: () => number;
}

export class SelectionError extends Error {
  override readonly name = "SelectionError";
}

/** A small seeded PRNG (mulberry32): victims must be reproducible from the experiment's seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function groupMembers(ctx: SelectionContext, groupIndex: number, count: Target["members"]): number[] {
  const group = ctx.groups?.groups.find((g) => g.index === groupIndex);
  if (!group) throw new SelectionError(`group ${groupIndex} is not registered (registered: ${ctx.groups?.groups.map((g) => g.index).join(", ") ?? "none yet"})`);
  const g = group.members.length;
  const k = count === undefined ? g : evalMemberCount(count, g, group.threshold);
  if (k < 1 || k > g) throw new SelectionError(`members '${String(count)}' gives ${k} for a group of ${g} with threshold ${group.threshold}; it must be between 1 and ${g}`);
  return shuffled(group.members, ctx.random).slice(0, k);
}

function groupSigning(ctx: SelectionContext, round: number): number {
  const previous = ctx.beacon(round - 1);
  const count = ctx.groups?.groups.length ?? 0;
  if (!previous || count === 0) throw new SelectionError(`the group of round ${round} is not known yet: fire the step at round ${round - 1} or later`);
  const position = selectGroup(previous, count);
  return ctx.groups?.groups[position]?.index ?? position;
}

/** Resolves a target to node indices (sorted, distinct). */
export function selectVictims(target: Target, ctx: SelectionContext): number[] {
  const n = ctx.dataCenters.length;
  let picked: number[];
  if (target.nodes) {
    const bad = target.nodes.find((i) => i >= n);
    if (bad !== undefined) throw new SelectionError(`node ${bad} does not exist (nodes 0-${n - 1})`);
    picked = target.nodes;
  } else if (target.dataCenter !== undefined) {
    picked = ctx.dataCenters.flatMap((dc, i) => (dc === target.dataCenter ? [i] : []));
    if (picked.length === 0) throw new SelectionError(`no node runs in data center '${target.dataCenter}'`);
  } else if (target.group !== undefined) {
    picked = groupMembers(ctx, target.group, target.members);
  } else if (target.groupOfRound !== undefined) {
    picked = groupMembers(ctx, groupSigning(ctx, target.groupOfRound), target.members);
  } else if (target.activeGroup) {
    picked = groupMembers(ctx, groupSigning(ctx, ctx.round + 1), target.members);
  } else if (target.perDataCenter) {
    const first = new Map<string, number>();
    ctx.dataCenters.forEach((dc, i) => first.has(dc) || first.set(dc, i));
    picked = [...first.values()];
  } else if (target.random !== undefined) {
    if (target.random > n) throw new SelectionError(`random: ${target.random} is more than the ${n} nodes of the subnet`);
    picked = shuffled(ctx.dataCenters.map((_, i) => i), ctx.random).slice(0, target.random);
  } else if (target.step !== undefined) {
    const v = ctx.stepVictims.get(target.step);
    if (!v) throw new SelectionError(`step '${target.step}' has not fired yet`);
    picked = [...v];
  } else {
    throw new SelectionError("the target names no selector");
  }
  return [...new Set(picked)].sort((a, b) => a - b);
}
