// SPDX-License-Identifier: Apache-2.0
/**
 * Exact stall and forgery probabilities of a randomly drawn group (hypergeometric tails).
 *
 * A group of g members is drawn without replacement from N nodes of which F are faulty. The
 * group stalls when fewer than t members are honest (faulty > g − t) and can be forged when the
 * faulty members alone reach the threshold (faulty ≥ t). Binomial approximations overstate these
 * tails several-fold at the sizes that matter (N = 10 000, F = 3 000, g = 400, t = 201: exact
 * P[stall] 1.006e-17, binomial 4.96e-17), so the sums are computed exactly over BigInt and only
 * the final ratio is rounded.
 */

export interface StallModelInput {
  readonly nodes: number;
  readonly faulty: number;
  readonly groupSize: number;
  readonly threshold: number;
}

export interface StallModel extends StallModelInput {
  /** P[honest members < threshold]: the group cannot produce a signature. */
  readonly stallProbability: number;
  /** P[faulty members ≥ threshold]: the faulty members alone can sign. */
  readonly forgeProbability: number;
  /** log2 of the stall probability (finite even where the probability underflows a double). */
  readonly stallLog2: number;
  readonly forgeLog2: number;
  /** Expected number of faulty members in a group. */
  readonly expectedFaulty: number;
}

/** Checks the inputs and explains the first problem found, or returns undefined. */
export function stallModelProblem(input: StallModelInput): string | undefined {
  const { nodes, faulty, groupSize, threshold } = input;
  for (const [name, v] of Object.entries(input)) {
    if (!Number.isSafeInteger(v) || v < 0) return `--${kebab(name)} must be a whole number ≥ 0 (got ${v})`;
  }
  if (nodes < 1) return "--nodes must be at least 1";
  if (faulty > nodes) return `--faulty (${faulty}) cannot exceed --nodes (${nodes})`;
  if (groupSize < 1 || groupSize > nodes) return `--group-size must be between 1 and --nodes (${nodes}), got ${groupSize}`;
  if (threshold < 1 || threshold > groupSize) return `--threshold must be between 1 and --group-size (${groupSize}), got ${threshold}`;
  return undefined;
}

/** Computes the exact model. Throws an Error naming the bad input when it is inconsistent. */
export function stallModel(input: StallModelInput): StallModel {
  const problem = stallModelProblem(input);
  if (problem) throw new Error(problem);
  const { nodes, faulty, groupSize, threshold } = input;
  const total = binomial(nodes, groupSize);
  const stall = faultyAtLeast(input, groupSize - threshold + 1);
  const forge = faultyAtLeast(input, threshold);
  return {
    ...input,
    stallProbability: ratioToNumber(stall, total),
    forgeProbability: ratioToNumber(forge, total),
    stallLog2: ratioLog2(stall, total),
    forgeLog2: ratioLog2(forge, total),
    expectedFaulty: (groupSize * faulty) / nodes,
  };
}

/** Σ_{x ≥ k} C(F, x)·C(N−F, g−x): the number of groups with at least k faulty members. */
function faultyAtLeast({ nodes, faulty, groupSize }: StallModelInput, k: number): bigint {
  const honest = nodes - faulty;
  const lo = Math.max(k, groupSize - honest, 0);
  const hi = Math.min(faulty, groupSize);
  if (lo > hi) return 0n;
  // Walk x upwards, updating both binomials by one factor each step instead of recomputing them.
  let cf = binomial(faulty, lo);
  let ch = binomial(honest, groupSize - lo);
  let sum = 0n;
  for (let x = lo; x <= hi; x++) {
    sum += cf * ch;
    if (x === hi) break;
    cf = (cf * BigInt(faulty - x)) / BigInt(x + 1);
    ch = (ch * BigInt(groupSize - x)) / BigInt(honest - groupSize + x + 1);
  }
  return sum;
}

/** C(n, k) exactly. */
export function binomial(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  const kk = Math.min(k, n - k);
  let c = 1n;
  for (let i = 0; i < kk; i++) c = (c * BigInt(n - i)) / BigInt(i + 1);
  return c;
}

function bitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

/** num/den as the nearest double (0 when it underflows); keeps 64 significant bits before rounding. */
export function ratioToNumber(num: bigint, den: bigint): number {
  if (num === 0n) return 0;
  const shift = 64 - (bitLength(num) - bitLength(den));
  const q = shift >= 0 ? (num << BigInt(shift)) / den : num / (den << BigInt(-shift));
  return Number(q) * 2 ** -shift;
}

function ratioLog2(num: bigint, den: bigint): number {
  if (num === 0n) return Number.NEGATIVE_INFINITY;
  const shift = 64 - (bitLength(num) - bitLength(den));
  const q = shift >= 0 ? (num << BigInt(shift)) / den : num / (den << BigInt(-shift));
  return Math.log2(Number(q)) - shift;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
