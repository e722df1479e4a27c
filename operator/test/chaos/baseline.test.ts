// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { compareToBaseline, mannWhitney, MIN_BASELINE_ROUNDS, normalUpperTail } from "../../src/chaos/baseline.js";
import { EXAMPLES, runCli } from "../support/cli.js";

const options = { quantile: 0.99, maxRegressionPercent: 5, confidence: 0.95 };

/** A deterministic spread of round intervals around `center` seconds (no randomness in tests). */
const rounds = (n: number, center: number, spread = 0.2): number[] => Array.from({ length: n }, (_, i) => center * (1 - spread / 2 + (spread * ((i * 37) % n)) / n));

describe("round latency against a baseline", () => {
  it("computes the normal tail", () => {
    assert.ok(Math.abs(normalUpperTail(0) - 0.5) < 1e-6);
    assert.ok(Math.abs(normalUpperTail(1.959964) - 0.025) < 1e-6);
    assert.ok(Math.abs(normalUpperTail(-1.644854) - 0.95) < 1e-6);
  });

  it("matches the Mann-Whitney U statistic and its asymptotic p-value (scipy's, with continuity correction)", () => {
    const low = [1, 2, 3, 4, 5];
    const high = [6, 7, 8, 9, 10];
    // scipy.stats.mannwhitneyu(high, low, alternative="greater", method="asymptotic"): U = 25, p = 0.006093
    const greater = mannWhitney(high, low);
    assert.equal(greater.u, 25);
    assert.ok(Math.abs(greater.pGreater - 0.006093) < 1e-5, String(greater.pGreater));
    const smaller = mannWhitney(low, high);
    assert.equal(smaller.u, 0);
    assert.ok(smaller.pGreater > 0.99);
    // Ties share their mean rank (the three 2s rank 3), and identical samples give no evidence.
    assert.equal(mannWhitney([1, 2, 3], [2, 2, 4]).u, 3);
    assert.equal(mannWhitney([1, 1, 1], [1, 1, 1]).pGreater, 0.5);
  });

  it("passes a run like its baseline and fails one that is clearly slower", () => {
    const baseline = rounds(100, 0.5);
    const same = compareToBaseline(rounds(100, 0.5), baseline, options);
    assert.equal(same.passed, true, same.measured);
    const slower = compareToBaseline(rounds(100, 0.6), baseline, options);
    assert.equal(slower.passed, false, slower.measured);
    assert.match(slower.measured, /^p99 0\.65\d s vs baseline 0\.54\d s \(\+20\.0%\); one-sided Mann-Whitney p = \S+ over 100 and 100 rounds$/);
  });

  it("needs both a significant shift and an effect beyond the tolerance", () => {
    const baseline = rounds(200, 0.5);
    // 3% slower everywhere: significant with 200 rounds, but within the 5% tolerance.
    const small = compareToBaseline(rounds(200, 0.515), baseline, options);
    assert.equal(small.passed, true, small.measured);
    assert.equal(compareToBaseline(rounds(200, 0.515), baseline, { ...options, maxRegressionPercent: 1 }).passed, false);
    // Two outliers move p99 far, but the distribution did not shift: not a regression.
    const outliers = [...rounds(198, 0.5), 5, 6];
    const noisy = compareToBaseline(outliers, baseline, options);
    assert.equal(noisy.passed, true, noisy.measured);
  });

  it("refuses to judge too few rounds", () => {
    const v = compareToBaseline(rounds(MIN_BASELINE_ROUNDS - 1, 0.5), rounds(100, 0.5), options);
    assert.equal(v.passed, false);
    assert.match(v.measured, /too few rounds to compare: 19 in this run, 100 in the baseline/);
  });

  describe("bad baseline files get one line and exit code 2, before any node starts", () => {
    const tmp = mkdtempSync(join(tmpdir(), "relaylab-baseline-"));
    const old = join(tmp, "old-record.json");
    writeFileSync(old, JSON.stringify({ experiment: "x", genesisSeed: "0".repeat(64), selectorSeed: 1, steps: [] }));
    const notRecord = join(tmp, "not-a-record.json");
    writeFileSync(notRecord, JSON.stringify({ hello: "world" }));
    const experiment = join(EXAMPLES, "chaos", "byzantine-shares.yaml");
    const cases: [string, string, RegExp][] = [
      ["a missing file", join(tmp, "missing.json"), /cannot read baseline record .*missing\.json/],
      ["a file that is no record", notRecord, /not-a-record\.json is not a chaos record/],
      ["a record without round intervals", old, /baseline record .*old-record\.json holds no round intervals; make a new baseline/],
    ];
    for (const [what, file, message] of cases) {
      it(what, async () => {
        const r = await runCli(["chaos", "run", experiment, "--baseline", file, "--run-dir", join(tmp, "run")]);
        assert.equal(r.code, 2, r.stderr);
        const lines = r.stderr.trim().split("\n");
        assert.equal(lines.length, 1, r.stderr);
        assert.match(lines[0] ?? "", message);
      });
    }
  });
});
