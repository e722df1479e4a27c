// SPDX-License-Identifier: Apache-2.0
/**
 * Fuzzing benchmark: `npm run bench:fuzz -- [--seed N] [--scale N] [--json FILE]` from the repository root.
 * Runs every fuzz target of test/fuzz/targets.ts (wire decoders, the transport's envelope path, the DKG and
 * beacon state machines) with `scale` times the cases `npm test` runs, prints one line per target and writes
 * {"cases","crashes","invariantViolations","seed","perTarget","seconds"} with --json. Exits 1 when any
 * target crashed or broke an invariant (its shrunk counterexample is printed), 2 on bad flags.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { FUZZ_TARGETS, type TargetResult } from "../test/fuzz/targets.js";

const DEFAULT_SCALE = 20;

function usageError(message: string): never {
  process.stderr.write(`bench:fuzz: ${message} (usage: npm run bench:fuzz -- [--seed N] [--scale N] [--json FILE])\n`);
  process.exit(2);
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) usageError(`--${name} must be a whole number of at least 1, got '${value}'`);
  return Number(value);
}

async function main(): Promise<void> {
  let values: { json?: string | undefined; seed?: string | undefined; scale?: string | undefined };
  try {
    ({ values } = parseArgs({ options: { json: { type: "string" }, seed: { type: "string" }, scale: { type: "string" } }, allowPositionals: false }));
  } catch (err) {
    usageError((err as Error).message);
  }
  const seed = positiveInt("seed", values.seed, Date.now() % 2 ** 31);
  const scale = positiveInt("scale", values.scale, DEFAULT_SCALE);
  const started = performance.now();
  const perTarget: Record<string, Omit<TargetResult, "name"> & { seconds: number }> = {};
  for (const target of FUZZ_TARGETS) {
    const t0 = performance.now();
    const runs = target.testRuns * scale;
    process.stderr.write(`${target.name}: ${runs} cases (seed ${seed})…\n`);
    const { name, ...result } = await target.run(seed, runs);
    const seconds = Number(((performance.now() - t0) / 1000).toFixed(1));
    perTarget[name] = { ...result, seconds };
    process.stderr.write(`${name}: ${result.cases} cases, ${result.crashes} crashes, ${result.invariantViolations} invariant violations, reached ${result.reached}, ${seconds} s\n`);
    if (result.failure !== undefined) process.stderr.write(`${name}: ${result.failure}\n`);
  }
  const all = Object.values(perTarget);
  const report = {
    cases: all.reduce((n, r) => n + r.cases, 0),
    crashes: all.reduce((n, r) => n + r.crashes, 0),
    invariantViolations: all.reduce((n, r) => n + r.invariantViolations, 0),
    seed,
    perTarget,
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  };
  process.stdout.write(`${report.cases} cases, ${report.crashes} crashes, ${report.invariantViolations} invariant violations in ${report.seconds} s (seed ${seed})\n`);
  if (values.json !== undefined) {
    // npm runs workspace scripts in the workspace folder; resolve FILE against where the command was typed.
    const target = resolve(process.env.INIT_CWD ?? process.cwd(), values.json);
    writeFileSync(target, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`wrote ${target}\n`);
  }
  process.exitCode = report.crashes + report.invariantViolations > 0 ? 1 : 0;
}

await main();
