// SPDX-License-Identifier: Apache-2.0
/** Judges a chaos run against its expectations: one verdict per expectation, all must pass. */
import type { RunSummary } from "../local/summary.js";
import { centralRegion, stallCountDistribution, stalledGroups } from "./stall-count.js";
import { stallModel } from "./stall-model.js";
import type { Expectations } from "../api/index.js";
import type { StepRecord } from "./record.js";

export interface Verdict {
  readonly name: string;
  readonly passed: boolean;
  /** What was measured, in words with numbers. */
  readonly measured: string;
  readonly expected: string;
}

export interface RunFacts {
  readonly summary: RunSummary;
  readonly targetRounds: number;
  readonly stallTimeoutSeconds: number;
  /** Seconds between consecutive verified rounds, by round (interval of round r is r−1 → r). */
  readonly intervals: ReadonlyMap<number, number>;
  readonly steps: readonly StepRecord[];
  /** Invalid shares counted by every reachable node, summed. */
  readonly invalidSharesCounted: number;
  /** Nodes in the subnet and its registered groups (members by node index), for the stall model. */
  readonly nodes: number;
  readonly groups: readonly { readonly members: readonly number[]; readonly threshold: number }[];
  /**
   * The highest height any node finalized by the end of the run, as the observer's finalized-block streams saw it
   * (the source of StepRecord.finalizedAtEnd too, so the two compare like with like).
   */
  readonly finalizedHeight: number;
}

/**
 * Groups left below threshold by the crash steps, against the exact model: each crash step is a
 * uniformly random set of its size, and each group a random g-subset of the nodes, so one group
 * stalls with the hypergeometric P[stall]. The count over all steps is judged against its exact
 * distribution for the registered group set (stall-count.ts), which accounts for groups sharing
 * members. Returns undefined when no crash step fired.
 */
export function stallModelCheck(facts: Pick<RunFacts, "steps" | "groups" | "nodes">, confidence: number): Verdict | undefined {
  const crashes = facts.steps.filter((s) => s.action === "crash" && s.error === undefined);
  const first = facts.groups[0];
  if (crashes.length === 0 || !first) return undefined;
  const bad = crashes.reduce((a, step) => a + stalledGroups(facts.groups, new Set(step.victims)), 0);
  const trials = crashes.length * facts.groups.length;
  const region = centralRegion(
    stallCountDistribution(facts.nodes, crashes.map((s) => s.victims.length), facts.groups),
    confidence,
  );
  const faulty = Math.round(crashes.reduce((a, s) => a + s.victims.length, 0) / crashes.length);
  const model = stallModel({ nodes: facts.nodes, faulty, groupSize: first.members.length, threshold: first.threshold });
  return {
    name: "stall fraction within the model",
    passed: bad >= region.low && bad <= region.high,
    measured: `${bad} of ${trials} group trials below threshold (${(bad / trials).toFixed(3)})`,
    expected:
      `model P[stall] ${model.stallProbability.toPrecision(4)} for ${faulty} crashed of ${facts.nodes}, g=${first.members.length}, t=${first.threshold}: ` +
      `mean ${region.mean.toFixed(2)} of ${trials} on these groups, ${confidence * 100}% region ${region.low}-${region.high}`,
  };
}

/** Rounds after `end` until the first round completed within the stall timeout; undefined if none yet. */
export function recoveryRounds(end: number, facts: Pick<RunFacts, "intervals" | "stallTimeoutSeconds">): number | undefined {
  const rounds = [...facts.intervals.keys()].filter((r) => r > end).sort((a, b) => a - b);
  for (const r of rounds) if ((facts.intervals.get(r) ?? Infinity) < facts.stallTimeoutSeconds) return r - end;
  return undefined;
}

/** Violations over both the beacon chain and the finalized chain, counted by kind in the measurement. */
function safetyVerdict(safety: RunSummary["safety"], allowed: number): Verdict {
  const byKind = new Map<string, number>();
  for (const v of safety.violations) byKind.set(v.kind, (byKind.get(v.kind) ?? 0) + 1);
  const kinds = byKind.size > 0 ? ` (${[...byKind].map(([k, n]) => `${n} ${k}`).join(", ")})` : "";
  return {
    name: "safety",
    passed: safety.violations.length <= allowed,
    measured: `${safety.violations.length} violations${kinds} over ${safety.checkedRounds} verified rounds and ${safety.checkedHeights} finalized heights`,
    expected: `at most ${allowed}`,
  };
}

export function judge(expect: Expectations, facts: RunFacts): Verdict[] {
  const s = facts.summary;
  const out: Verdict[] = [];
  out.push({ name: "run completed", passed: s.rounds >= facts.targetRounds, measured: `${s.rounds} rounds verified`, expected: `${facts.targetRounds} rounds` });
  const failedSteps = facts.steps.filter((st) => st.error !== undefined);
  out.push({ name: "every step applied", passed: failedSteps.length === 0, measured: failedSteps.length ? failedSteps.map((st) => `${st.name}: ${st.error ?? ""}`).join("; ") : `${facts.steps.length} steps applied`, expected: "no step errors" });
  out.push(safetyVerdict(s.safety, expect.safetyViolations));
  if (expect.maxStalls !== undefined) out.push({ name: "max stalls", passed: s.stalls <= expect.maxStalls, measured: `${s.stalls} stall events`, expected: `at most ${expect.maxStalls}` });
  if (expect.maxStallSeconds !== undefined) {
    const stalled = [...facts.intervals.values()].filter((v) => v > facts.stallTimeoutSeconds);
    const longest = Math.max(0, ...stalled);
    out.push({ name: "max stall duration", passed: longest <= expect.maxStallSeconds, measured: `longest stalled round took ${longest.toFixed(2)} s`, expected: `at most ${expect.maxStallSeconds} s` });
  }
  if (expect.recoveryWithinRounds !== undefined) {
    for (const st of facts.steps.filter((x) => x.endedAtRound !== undefined)) {
      const k = recoveryRounds(st.endedAtRound ?? 0, facts);
      out.push({
        name: `recovery after '${st.name}'`,
        passed: k !== undefined && k <= expect.recoveryWithinRounds,
        measured: k === undefined ? `no round within the stall timeout after round ${st.endedAtRound ?? 0}` : `recovered ${k} round(s) after the fault ended at round ${st.endedAtRound ?? 0}`,
        expected: `within ${expect.recoveryWithinRounds} rounds`,
      });
      // The beacon recovering says nothing of the blocks: consensus can stay stuck at a height the fault left open.
      if (st.finalizedAtEnd !== undefined) {
        out.push({
          name: `finalization resumed after '${st.name}'`,
          passed: facts.finalizedHeight > st.finalizedAtEnd,
          measured: `finalized height ${facts.finalizedHeight} at the end of the run, ${st.finalizedAtEnd} when the fault ended`,
          expected: `above ${st.finalizedAtEnd}`,
        });
      }
    }
  }
  const lat = expect.roundLatencySeconds;
  if (lat) {
    for (const q of ["p50", "p90", "p99", "max"] as const) {
      const bound = lat[q];
      if (bound === undefined) continue;
      const v = s.roundLatencySeconds[q];
      out.push({ name: `round latency ${q}`, passed: v <= bound, measured: `${v.toFixed(3)} s`, expected: `at most ${bound} s` });
    }
  }
  if (expect.stallModel) {
    const v = stallModelCheck(facts, expect.stallModel.confidence);
    out.push(v ?? { name: "stall fraction within the model", passed: false, measured: "no crash step fired", expected: "at least one crash step" });
  }
  if (expect.impostorsRefused) {
    const steps = facts.steps.filter((st) => st.action === "impostor" && st.impostor !== undefined);
    const attempts = steps.reduce((a, st) => a + (st.impostor?.attempts ?? 0), 0);
    const notRefused = steps.flatMap((st) => st.impostor?.notRefused ?? []);
    out.push({
      name: "impostors refused",
      passed: attempts > 0 && notRefused.length === 0,
      measured: attempts === 0 ? "no impostor step sent a Hello" : notRefused.length === 0 ? `all ${attempts} impostor Hellos refused` : `${notRefused.length} of ${attempts} not refused: ${notRefused.join("; ")}`,
      expected: "every impostor Hello refused (UNAUTHENTICATED)",
    });
  }
  if (expect.invalidSharesDetected) {
    out.push({ name: "invalid shares detected", passed: facts.invalidSharesCounted > 0, measured: `${facts.invalidSharesCounted} invalid shares counted by honest nodes`, expected: "more than 0" });
  }
  return out;
}
