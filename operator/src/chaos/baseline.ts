// SPDX-License-Identifier: Apache-2.0
/**
 * Round latency against a recorded baseline: did this run get slower than an earlier one (the
 * previous commit's, say)? A fixed threshold cannot tell a regression from a busy CI machine, so
 * the verdict needs both a statistically significant shift (one-sided Mann-Whitney U test: are
 * this run's round intervals stochastically larger?) and an effect larger than the tolerance at
 * the chosen quantile. Either alone is noise: a tiny significant shift, or a large p99 moved by
 * two outliers.
 */
import { quantile } from "@relaylab/node/quantile";
import type { Verdict } from "./verdict.js";

/** Fewer rounds than this on either side make the normal approximation meaningless. */
export const MIN_BASELINE_ROUNDS = 20;

export interface BaselineOptions {
  /** Quantile whose regression is judged, e.g. 0.99. */
  readonly quantile: number;
  /** Allowed regression at that quantile, in percent. */
  readonly maxRegressionPercent: number;
  /** Confidence of the shift test (significance level 1 − confidence). */
  readonly confidence: number;
}

export interface MannWhitney {
  /** U of the first sample. */
  readonly u: number;
  readonly z: number;
  /** One-sided p-value of "the first sample is stochastically larger than the second". */
  readonly pGreater: number;
}

/** Standard normal upper tail P[Z ≥ z], via erfc (Numerical Recipes' Chebyshev fit, |error| < 1.2e-7). */
export function normalUpperTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const poly = -x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(poly);
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/** Mann-Whitney U of `a` against `b`, normal approximation with tie and continuity corrections. */
export function mannWhitney(a: readonly number[], b: readonly number[]): MannWhitney {
  const all = [...a.map((v) => ({ v, first: true })), ...b.map((v) => ({ v, first: false }))].sort((x, y) => x.v - y.v);
  const n = all.length;
  let rankSumA = 0;
  let ties = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && all[j + 1]?.v === all[i]?.v) j++;
    const rank = (i + j + 2) / 2; // ranks are 1-based; a run of ties shares their mean
    const size = j - i + 1;
    ties += size ** 3 - size;
    for (let k = i; k <= j; k++) if (all[k]?.first === true) rankSumA += rank;
    i = j + 1;
  }
  const [n1, n2] = [a.length, b.length];
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1)));
  if (variance <= 0) return { u, z: 0, pGreater: 0.5 }; // every value equal: no evidence either way
  const z = (u - mean - 0.5) / Math.sqrt(variance);
  return { u, z, pGreater: normalUpperTail(z) };
}

const pct = (q: number): string => (q === 1 ? "max" : `p${String(Math.round(q * 1000) / 10)}`);

/** The verdict on this run's round intervals (seconds) against the baseline's. */
export function compareToBaseline(current: readonly number[], baseline: readonly number[], options: BaselineOptions): Verdict {
  const name = "round latency vs baseline";
  const q = pct(options.quantile);
  const expected = `${q} at most ${options.maxRegressionPercent}% above the baseline's, or no significant shift at ${options.confidence * 100}% confidence`;
  if (current.length < MIN_BASELINE_ROUNDS || baseline.length < MIN_BASELINE_ROUNDS) {
    return { name, passed: false, measured: `too few rounds to compare: ${current.length} in this run, ${baseline.length} in the baseline (need ${MIN_BASELINE_ROUNDS} each)`, expected };
  }
  const now = quantile([...current].sort((x, y) => x - y), options.quantile);
  const before = quantile([...baseline].sort((x, y) => x - y), options.quantile);
  const change = before > 0 ? (now / before - 1) * 100 : 0;
  const test = mannWhitney(current, baseline);
  const significant = test.pGreater < 1 - options.confidence;
  const regressed = change > options.maxRegressionPercent;
  const sign = change >= 0 ? "+" : "";
  return {
    name,
    passed: !(significant && regressed),
    measured: `${q} ${now.toFixed(3)} s vs baseline ${before.toFixed(3)} s (${sign}${change.toFixed(1)}%); one-sided Mann-Whitney p = ${test.pGreater.toPrecision(3)} over ${current.length} and ${baseline.length} rounds`,
    expected,
  };
}
