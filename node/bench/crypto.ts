// SPDX-License-Identifier: Apache-2.0
/**
 * Crypto-core benchmark: `npm run bench:crypto -- --json FILE` from the repository root.
 * For each (g, t) it measures, as mean milliseconds per operation in this process:
 *   signMs           one partial signature
 *   partialVerifyMs  one partial verification (key share already decoded, as in a running node)
 *   recoverMs        Lagrange + MSM over t partials (no verification)
 *   verifyMs         verification of the group signature
 *   fastPathMs       recoverVerified over t valid partials: recover, verify once
 *   naivePathMs      verify each of the t partials, recover, verify (drand/kyber style)
 *   fallbackOneBadMs recoverVerified when one of the first t partials is invalid (RLC batch + bisection)
 *   keyDecodeMs      decoding one public key share on first use (what the decoded-key cache saves afterwards)
 *   dkgPerMemberMs   one member's own work in an all-honest DKG (omitted for g = 400)
 * Not a test: it asserts nothing about timing. Prints a table; writes {"results":[…]} with --json FILE.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import {
  dealShares,
  Dkg,
  partialSign,
  partialVerify,
  recoverSignature,
  recoverVerified,
  sign,
  verify,
  type DkgMessage,
  type PartialSignature,
} from "../src/crypto/index.js";
import { decodePublicKey } from "../src/crypto/points.js";
import { testSigners } from "../test/crypto/dkg-harness.js";

interface Result {
  g: number;
  t: number;
  signMs: number;
  partialVerifyMs: number;
  recoverMs: number;
  verifyMs: number;
  fastPathMs: number;
  naivePathMs: number;
  fallbackOneBadMs: number;
  keyDecodeMs: number;
  dkgPerMemberMs?: number;
}

/** (g, t, iterations for the expensive paths) */
const SIZES: readonly [number, number, number][] = [
  [7, 4, 10],
  [16, 9, 6],
  [64, 33, 3],
  [400, 201, 2],
];

function main(): void {
  const jsonFile = parseArgs(process.argv.slice(2));
  const results = SIZES.map(([g, t, iterations]) => {
    const result = benchGroup(g, t, iterations);
    process.stderr.write(`done (${g},${t})\n`);
    return result;
  });
  printTable(results);
  if (jsonFile !== undefined) {
    // npm runs workspace scripts in the workspace folder; resolve FILE against where the command was typed.
    const target = resolve(process.env.INIT_CWD ?? process.cwd(), jsonFile);
    writeFileSync(target, `${JSON.stringify({ results }, null, 2)}\n`);
    process.stdout.write(`wrote ${target}\n`);
  }
}

function parseArgs(args: string[]): string | undefined {
  const at = args.indexOf("--json");
  if (at === -1) return undefined;
  const file = args[at + 1];
  if (file === undefined || file.startsWith("--")) throw new Error("--json needs a file name: npm run bench:crypto -- --json FILE");
  return file;
}

function benchGroup(g: number, t: number, iterations: number): Result {
  const group = dealShares(t, g);
  const keyShare = (index: number): Uint8Array => group.publicKeyShares[index - 1] ?? new Uint8Array();
  const messages = Array.from({ length: iterations + 1 }, (_, i) => new TextEncoder().encode(`bench ${g}/${t} round ${i}`));
  const partialsFor = messages.map((m) => group.secretShares.map((s) => partialSign(s, m)));
  // Each iteration uses another message and another random t-subset in arrival order, so no cache makes a
  // round cheaper than a real one would be (key shares stay decoded, as in a node within one epoch).
  const pick = (round: number): PartialSignature[] => shuffle(partialsFor[round] ?? []).slice(0, t);
  const signatures = messages.map((_, round) => recoverSignature(pick(round), t));
  // Decoding a key share (square root in Fp2 + subgroup check) is what the decoded-key cache saves per partial.
  const keyDecodeMs = mean(g, (i) => decodePublicKey(group.publicKeyShares[i] ?? new Uint8Array()));

  const signMs = mean(Math.min(g, 40), (i) => partialSign(group.secretShares[i % g] ?? { index: 1, secret: 1n }, messages[0] ?? new Uint8Array()));
  const partialVerifyMs = mean(10, (i) => {
    const partial = (partialsFor[0] ?? [])[i % g];
    if (partial !== undefined) partialVerify(keyShare(partial.index), messages[0] ?? new Uint8Array(), partial);
  });
  const recoverMs = mean(iterations, (i) => recoverSignature(pick(i + 1), t));
  const verifyMs = mean(5, (i) => verify(group.groupPublicKey, messages[i % messages.length] ?? new Uint8Array(), signatures[i % messages.length] ?? new Uint8Array()));
  const fastPathMs = mean(iterations, (i) =>
    recoverVerified({ groupPublicKey: group.groupPublicKey, message: messages[i + 1] ?? new Uint8Array(), partials: pick(i + 1), threshold: t, publicKeyShare: keyShare }),
  );
  const naiveIterations = g >= 400 ? 1 : iterations;
  const naivePathMs = mean(naiveIterations, (i) => {
    const message = messages[i + 1] ?? new Uint8Array();
    const chosen = pick(i + 1);
    for (const partial of chosen) if (!partialVerify(keyShare(partial.index), message, partial)) throw new Error("bench: invalid partial");
    verify(group.groupPublicKey, message, recoverSignature(chosen, t));
  });
  const fallbackOneBadMs = mean(naiveIterations, (i) => {
    const message = messages[i + 1] ?? new Uint8Array();
    const [first, ...rest] = shuffle(partialsFor[i + 1] ?? []);
    if (first === undefined) return;
    const forged = { index: first.index, signature: sign(group.secretShares[first.index - 1]?.secret ?? 1n, new Uint8Array([1])) };
    const result = recoverVerified({ groupPublicKey: group.groupPublicKey, message, partials: [forged, ...rest], threshold: t, publicKeyShare: keyShare });
    if (result.invalid.length !== 1) throw new Error("bench: fallback missed the invalid partial");
  });
  const result: Result = { g, t, signMs, partialVerifyMs, recoverMs, verifyMs, fastPathMs, naivePathMs, fallbackOneBadMs, keyDecodeMs };
  if (g < 400) result.dkgPerMemberMs = dkgMemberWork(g, t);
  return roundAll(result);
}

/**
 * Member 1's own work in an all-honest DKG: creating its polynomial and deals, checking the g−1 deals it
 * receives, and combining the result. The other members' work (their dealing) happens outside the timer; their
 * responses and justifications are those an honest member sends (same signed digests, no complaints, same view).
 */
function dkgMemberWork(g: number, t: number): number {
  const signers = testSigners(g);
  const others = signers.slice(1).map((signer, i) => new Dkg({ self: i + 2, members: g, threshold: t, signer }));
  const toMe = others.flatMap((d) => d.start()).filter((m) => m.type === "deal" && m.to === 1);
  const started = performance.now();
  const [signer] = signers;
  if (signer === undefined) throw new Error("bench: no signer");
  const me = new Dkg({ self: 1, members: g, threshold: t, signer });
  me.start();
  const sent: DkgMessage[] = toMe.flatMap((m) => me.receive(m));
  const response = sent.find((m) => m.type === "response");
  if (response?.type !== "response") throw new Error("bench: member 1 did not respond");
  const justification = others.flatMap((_, i) => me.receive({ ...response, from: i + 2 })).find((m) => m.type === "justification");
  if (justification?.type !== "justification") throw new Error("bench: member 1 did not justify");
  others.forEach((_, i) => me.receive({ ...justification, from: i + 2 }));
  const elapsed = performance.now() - started;
  if (me.phase !== "done") throw new Error(`bench: DKG ended in phase ${me.phase}: ${me.failureReason ?? ""}`);
  return elapsed;
}

function mean(iterations: number, run: (i: number) => unknown): number {
  const started = performance.now();
  for (let i = 0; i < iterations; i++) run(i);
  return (performance.now() - started) / iterations;
}

function shuffle<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function roundAll(result: Result): Result {
  const round = (x: number): number => Math.round(x * 100) / 100;
  const entries = Object.entries(result) as [keyof Result, number][];
  return Object.fromEntries(entries.map(([k, v]) => [k, k === "g" || k === "t" ? v : round(v)])) as unknown as Result;
}

function printTable(results: readonly Result[]): void {
  const columns: [string, (r: Result) => string][] = [
    ["g", (r) => String(r.g)],
    ["t", (r) => String(r.t)],
    ["sign", (r) => r.signMs.toFixed(2)],
    ["partialVerify", (r) => r.partialVerifyMs.toFixed(2)],
    ["recover", (r) => r.recoverMs.toFixed(2)],
    ["verify", (r) => r.verifyMs.toFixed(2)],
    ["fastPath", (r) => r.fastPathMs.toFixed(2)],
    ["naivePath", (r) => r.naivePathMs.toFixed(2)],
    ["naive/fast", (r) => `${(r.naivePathMs / r.fastPathMs).toFixed(1)}x`],
    ["fallback(1 bad)", (r) => r.fallbackOneBadMs.toFixed(2)],
    ["keyDecode", (r) => r.keyDecodeMs.toFixed(2)],
    ["dkg/member", (r) => (r.dkgPerMemberMs === undefined ? "-" : r.dkgPerMemberMs.toFixed(0))],
  ];
  const rows = [columns.map(([name]) => name), ...results.map((r) => columns.map(([, cell]) => cell(r)))];
  const widths = columns.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? "").length)));
  process.stdout.write("crypto core, mean ms per operation (noble BLS12-381, G1 signatures)\n");
  for (const row of rows) process.stdout.write(`${row.map((cell, c) => cell.padStart(widths[c] ?? 0)).join("  ")}\n`);
}

main();
