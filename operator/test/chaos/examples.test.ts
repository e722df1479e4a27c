// SPDX-License-Identifier: Apache-2.0
/**
 * The shipped chaos experiments, run as CI would: the real CLI, real node processes, a JSON
 * verdict, a JUnit report and a replayable record. They run back to back in one checkout-like
 * directory with the default run directories, as a user runs them one after the other: the
 * experiments on topology.yaml all use .relaylab/chaos.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { EXAMPLES, runCli } from "../support/cli.js";

const checkout = mkdtempSync(join(tmpdir(), "relaylab-chaos-"));

interface ChaosOutput {
  passed: boolean;
  verdicts: { name: string; passed: boolean; measured: string }[];
  summary: { safety: { checkedHeights: number; violations: { kind: string; node: number; round: number }[] } };
  record: { genesisSeed: string; steps: { name: string; firedAtRound: number; victims: number[] }[]; roundIntervals: number[] };
  recordFile: string;
}

/**
 * What the nodes of the run that wrote `recordFile` logged about their faults: per node, the
 * fault kinds it last held and how many byzantine actions it logged. Shown when an experiment
 * fails, to tell a fault that never took effect from one the protocol withstood.
 */
function faultEvidence(recordFile: string): string {
  const logs = join(dirname(recordFile), "logs");
  if (!existsSync(logs)) return `no logs in ${logs}`;
  return readdirSync(logs)
    .filter((f) => f.endsWith(".log"))
    .sort()
    .map((f) => {
      const lines = readFileSync(join(logs, f), "utf8").split("\n");
      const set = lines.filter((l) => l.includes('"event":"faults_set"')).at(-1);
      const kinds = set === undefined ? "none" : (/"kinds":(\[[^\]]*\])/.exec(set)?.[1] ?? "unreadable");
      const acts = lines.filter((l) => /"event":"(equivocating_block|equivocating_dkg_outcome|invalid_share|strategy_share)/.test(l)).length;
      return `${f}: faults ${kinds}, ${String(acts)} byzantine events`;
    })
    .join("\n");
}

/** Runs a shipped experiment; its exit code must match its overall verdict. */
async function runChaos(name: string, extra: string[] = []): Promise<{ out: ChaosOutput; junit: string; code: number | null; stderr: string }> {
  const junitFile = join(checkout, "chaos.xml");
  const r = await runCli(["chaos", "run", join(EXAMPLES, "chaos", `${name}.yaml`), "--json", "--junit", "chaos.xml", ...extra], { cwd: checkout });
  const out = JSON.parse(r.stdout) as ChaosOutput;
  assert.equal(r.code, out.passed ? 0 : 1);
  return { out, junit: readFileSync(junitFile, "utf8"), code: r.code, stderr: r.stderr };
}

type ChaosRun = Awaited<ReturnType<typeof runChaos>>;

/** Fails with the failed verdicts, the CLI's last output and the nodes' fault evidence unless every expectation passed. */
function assertPassed(name: string, { out, stderr }: ChaosRun): void {
  const failed = out.verdicts.filter((v) => !v.passed).map((v) => `${v.name}: ${v.measured}`);
  if (failed.length > 0) assert.fail(`${name} failed: ${failed.join("; ")}\n${stderr.slice(-2000)}\n${faultEvidence(out.recordFile)}`);
}

/** Runs a shipped experiment that must pass every expectation. */
async function runExperiment(name: string, extra: string[] = []): Promise<ChaosRun> {
  const run = await runChaos(name, extra);
  assertPassed(name, run);
  return run;
}

/** A byzantine experiment that passed, with the finality oracle at work: finalized heights compared, none forked. */
function assertSafeByzantine(name: string, { out, junit }: ChaosRun): ChaosOutput {
  assert.ok(out.summary.safety.checkedHeights > 0, `${name}: the verifier compared no finalized heights`);
  assert.deepEqual(out.summary.safety.violations, []);
  assert.match(junit, new RegExp(`<testsuite name="${name}" tests="\\d+" failures="0"`));
  return out;
}

const runSafeByzantine = async (name: string): Promise<ChaosOutput> => assertSafeByzantine(name, await runExperiment(name));

describe("shipped chaos experiments", () => {
  it("byzantine shares: invalid shares are caught and counted, no stall, no invalid beacon", async () => {
    // Honest members also check the shares that took no part in a recovery of theirs (late ones, and those
    // pooled for a beacon that came from a peer), so a liar is counted even when it is never among the first t
    // shares at an aggregator.
    const out = await runSafeByzantine("byzantine-shares");
    assert.ok(out.verdicts.some((v) => v.name === "invalid shares detected"));
  });

  it("byzantine equivocating maker: every node finalizes the same block at each height, no stall", async () => {
    await runSafeByzantine("byzantine-equivocate-blocks");
  });

  it("byzantine equivocating notary and maker within the fault budget: no finalized fork, no stall", async () => {
    await runSafeByzantine("byzantine-equivocate-votes");
  });

  it("byzantine DKG dealer across epoch changes: no stall, no invalid beacon", async () => {
    await runSafeByzantine("byzantine-dkg-equivocate");
  });

  it("byzantine DKG member complaining against every dealer across epoch changes: no stall, no invalid beacon", async () => {
    await runSafeByzantine("byzantine-dkg-complaints");
  });

  it("byzantine DKG member signing two outcomes across epoch changes: no stall, no invalid beacon", async () => {
    await runSafeByzantine("byzantine-dkg-outcome");
  });

  it("impostor outside the subnet: replayed, relayed and forged Hellos are all refused, no stall, no fork", async () => {
    const out = await runSafeByzantine("byzantine-impostor");
    assert.equal(out.verdicts.find((v) => v.name === "impostors refused")?.measured, "all 6 impostor Hellos refused");
  });

  it("unsafe fork: below the safe threshold two split quorums finalize two blocks at one height, the run exits 1", async () => {
    const { out, code, stderr } = await runChaos("unsafe-fork");
    assert.equal(code, 1, `${stderr.slice(-2000)}\n${faultEvidence(out.recordFile)}`);
    const safety = out.verdicts.find((v) => v.name === "safety");
    assert.equal(safety?.passed, false, JSON.stringify(out.verdicts));
    assert.match(safety.measured, /\d+ finalized_fork/);
    assert.ok(out.summary.safety.violations.some((v) => v.kind === "finalized_fork"));
    // A run stops at its first safety violation, so it may also fall short of its rounds; nothing else may fail.
    const others = out.verdicts.filter((v) => !v.passed && v.name !== "safety" && v.name !== "run completed");
    assert.deepEqual(others, []);
  });

  it("data-center partition: the subnet stays safe and recovers after the heal", async () => {
    const { out } = await runExperiment("dc-partition");
    assert.ok(out.verdicts.some((v) => v.name.startsWith("recovery after")));
  });

  it("random crashes: the share of groups left below threshold agrees with the exact stall model", async () => {
    const { out } = await runExperiment("random-crashes");
    assert.ok(out.verdicts.some((v) => v.name === "stall fraction within the model" && v.passed));
    assert.equal(out.record.steps.length, 4);
  });

  it("crash of g-t+1 members with restart, and an exact replay of it judged against a baseline", async () => {
    const first = await runExperiment("crash-recovery");
    const step = first.out.record.steps[0];
    assert.equal(step?.victims.length, 3, "g-t+1 = 3 members of a group of 5 with t = 3");
    assert.ok(first.out.record.roundIntervals.length >= 20, "the record keeps the round intervals a later run is compared with");
    // A baseline ten times slower than this run: the comparison runs end to end and must pass
    // whatever the machine's load (the statistics themselves are tested in baseline.test.ts).
    const baseline = join(checkout, "slow-baseline.json");
    writeFileSync(baseline, JSON.stringify({ ...first.out.record, roundIntervals: first.out.record.roundIntervals.map((s) => s * 10) }));
    const again = await runExperiment("crash-recovery", ["--replay", first.out.recordFile, "--baseline", baseline]);
    assert.ok(again.out.verdicts.some((v) => v.name === "round latency vs baseline" && v.passed));
    assert.equal(again.out.record.genesisSeed, first.out.record.genesisSeed);
    assert.deepEqual(again.out.record.steps.map((s) => [s.name, s.firedAtRound, s.victims]), first.out.record.steps.map((s) => [s.name, s.firedAtRound, s.victims]));
    // The replay ran in the same run directory: the record it replayed is kept aside, not overwritten.
    assert.equal(again.out.recordFile, first.out.recordFile);
    assert.deepEqual(JSON.parse(readFileSync(join(dirname(first.out.recordFile), "previous", "chaos-record.json"), "utf8")), first.out.record);
    // The same gate against a baseline ten times faster than this machine can go must fail the run.
    const fast = join(checkout, "fast-baseline.json");
    writeFileSync(fast, JSON.stringify({ ...first.out.record, roundIntervals: first.out.record.roundIntervals.map((s) => s / 10) }));
    const gated = await runCli(["chaos", "run", join(EXAMPLES, "chaos", "crash-recovery.yaml"), "--replay", first.out.recordFile, "--baseline", fast, "--json"], { cwd: checkout });
    const gate = (JSON.parse(gated.stdout) as ChaosOutput).verdicts.find((v) => v.name === "round latency vs baseline");
    assert.equal(gate?.passed, false, `a run ten times slower than its baseline fails the gate: ${gate?.measured}`);
    assert.equal(gated.code, 1);
  });
});
