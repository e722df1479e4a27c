// SPDX-License-Identifier: Apache-2.0
/**
 * Genesis: the contract between the operator, the local runner and the node.
 *
 * One JSON document describes a whole subnet: who its members are, how they are grouped and
 * how fast they run. It is immutable for the life of a network; changing any field makes a
 * new network. Validation errors name the field and say what to fix.
 */
import { z } from "zod";
import { certificateProblems } from "../identity/pinning.js";

const HEX32 = /^[0-9a-f]{64}$/;
const HOST_PORT = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Default threshold for a group of `size` members: a strict majority, ⌊g/2⌋+1. */
export function defaultThreshold(size: number): number {
  return Math.floor(size / 2) + 1;
}

/**
 * What is wrong with a beacon (group) threshold `t` for groups of `size`, as a field-naming message: a threshold of
 * at most half the group is one that the g − t members a group may lose to faults reach by themselves, so they can
 * sign beacons (and so learn every later one early) without an honest member, and no DKG registration rule makes
 * every node agree on a group key while they may be byzantine (dkg/driver.ts takes the budget as 0). Accepted only
 * with `unsafeAllowMinorityThreshold`, for experiments that run without a byzantine budget.
 */
export function beaconThresholdProblems(t: number, size: number, unsafeAllowMinorityThreshold: boolean): string[] {
  if (t > size) return [`is ${t} but groups have only ${size} members; it must be at most the group size`];
  if (2 * t > size || unsafeAllowMinorityThreshold) return [];
  return [
    `${t} of ${size} is not a majority: the ${size - t} members a group may lose to byzantine faults reach it by themselves and can sign beacons without an honest member; raise it to at least ${defaultThreshold(size)}, or set groups.unsafeAllowMinorityThreshold: true for a network meant to run without a byzantine budget`,
  ];
}

/**
 * Default notarization and finalization threshold for a group of `size` members: ⌊2g/3⌋+1. Finality is safe
 * against f byzantine notaries while 2t − g > f, and live while g − t ≥ f: with this default, up to ⌊(g−1)/3⌋.
 * The beacon keeps its majority threshold: a beacon share cannot be given twice for one round, a notary's vote can.
 */
export function defaultConsensusThreshold(size: number): number {
  return Math.floor((2 * size) / 3) + 1;
}

/** Default byzantine notaries per group that finality tolerates: ⌊(g−1)/3⌋, the most any threshold can. */
export function defaultFaultBudget(size: number): number {
  return Math.floor((size - 1) / 3);
}

/**
 * What is wrong with a notarization/finalization threshold `t` for groups of `size` meant to tolerate `budget`
 * byzantine notaries, as field-naming messages: unsafe (two blocks can be finalized at one height: 2t − g ≤ f)
 * unless `unsafeAllowForks`, not live (f silent notaries stop finality: g − t < f), or larger than the group.
 */
export function consensusThresholdProblems(t: number, size: number, budget: number, unsafeAllowForks: boolean): { path: string; message: string }[] {
  if (t > size) return [{ path: "threshold", message: `is ${t} but groups have only ${size} members; it must be at most the group size` }];
  const problems: { path: string; message: string }[] = [];
  if (2 * t - size <= budget && !unsafeAllowForks) {
    const safe = Math.floor((size + budget) / 2) + 1;
    problems.push({
      path: "threshold",
      message: `${t} of ${size} lets ${budget} byzantine notaries finalize two blocks at one height (safe needs 2t - g > faultBudget): raise it to at least ${safe}, lower consensus.faultBudget, or set consensus.unsafeAllowForks: true for a network meant to fork`,
    });
  }
  if (size - t < budget) {
    problems.push({ path: "faultBudget", message: `is ${budget} but ${size - t} silent notaries already stop finality with threshold ${t} of ${size}: lower it to at most ${size - t} or lower consensus.threshold` });
  }
  return problems;
}

const nonNegativeMs = z.number().int("must be a whole number of milliseconds").min(0, "must be 0 or more milliseconds");
const positiveMs = z.number().int("must be a whole number of milliseconds").min(1, "must be at least 1 millisecond");

export const GenesisNodeSchema = z.object({
  index: z.number().int().min(0, "node index must be 0 or more"),
  address: z.string().regex(HOST_PORT, "must be host:port, e.g. 127.0.0.1:7000"),
  identityKey: z.string().regex(HEX32, "must be the node's 32-byte ed25519 public key as 64 lowercase hex characters"),
  dataCenter: z.string().regex(DNS_LABEL, "must be a DNS label (lowercase letters, digits, '-')"),
  /**
   * The node's TLS certificate (PEM), self-signed by its identity key (identity/certificate.ts): the node serves
   * TLS with it and everyone who dials the node trusts exactly it (net/tls.ts). Every node has one, or none does.
   */
  certificate: z.string().min(1, "must be a PEM certificate; omit the field for plaintext links").optional(),
});

export const TimingsSchema = z.object({
  /** Minimum time between accepting B(r−1) and signing round r; 0 runs as fast as possible. */
  minRoundPeriodMs: nonNegativeMs.default(1000),
  /** How often a member re-sends its share while a round is open. */
  shareRetransmitMs: positiveMs.default(500),
  /** A round open for longer than this is a stall event. */
  stallTimeoutMs: positiveMs.default(5000),
  /** A group whose DKG has not finished by then is not registered. */
  dkgTimeoutMs: positiveMs.default(30000),
});

export const ConsensusSchema = z.object({
  /** Rank-k block makers propose after k × blockMakerDelayMs unless a better block was seen. */
  blockMakerDelayMs: nonNegativeMs.default(200),
  /** Notaries wait this long after the round starts before signing the best block seen. */
  notaryDelayMs: nonNegativeMs.default(100),
  /** Upper bound of one block's ingress payload. */
  maxBlockBytes: z.number().int().min(1024, "must be at least 1024 bytes").default(1 << 20),
  /** Largest single ingress message accepted by SubmitMessage. */
  maxMessageBytes: z.number().int().min(1, "must be at least 1 byte").default(64 * 1024),
  /** Pending ingress messages beyond this are refused with RESOURCE_EXHAUSTED. */
  mempoolCapacity: z.number().int().min(1, "must be at least 1 message").default(10000),
  /** Pending ingress payload bytes beyond which messages are refused with RESOURCE_EXHAUSTED (64 MiB). */
  mempoolCapacityBytes: z.number().int().min(1, "must be at least 1 byte").default(64 * 1024 * 1024),
  /** Notarization and finalization shares a block needs (of a group's g); defaultConsensusThreshold(g) when unset. */
  threshold: z.number().int().min(1, "must be at least 1").optional(),
  /** Byzantine notaries per group that finality must survive; defaultFaultBudget(g) when unset. */
  faultBudget: z.number().int().min(0, "must be 0 or more").optional(),
  /** Accepts a threshold that lets faultBudget byzantine notaries finalize two blocks at one height (fork experiments). */
  unsafeAllowForks: z.boolean().default(false),
});

export const GroupsSchema = z.object({
  count: z.number().int().min(1, "must be at least 1 group"),
  size: z.number().int().min(1, "must be at least 1 member"),
  /** Beacon shares that recover a group signature (of g); defaultThreshold(g), a strict majority, when unset. */
  threshold: z.number().int().min(1, "must be at least 1").optional(),
  /** Accepts a threshold of at most half the group, which its byzantine budget reaches alone (experiments without one). */
  unsafeAllowMinorityThreshold: z.boolean().default(false),
});

export const GenesisSchema = z
  .object({
    version: z.literal(1, "must be 1 (the only genesis format version)"),
    subnet: z.string().regex(DNS_LABEL, "must be a DNS label (lowercase letters, digits, '-', at most 63 characters)"),
    seed: z.string().regex(HEX32, "must be 32 bytes as 64 lowercase hex characters"),
    nodes: z.array(GenesisNodeSchema).min(1, "a subnet needs at least one node"),
    groups: GroupsSchema,
    timings: TimingsSchema.prefault({}),
    consensus: ConsensusSchema.prefault({}),
    /** Every epochLength rounds fresh groups are formed; 0 keeps the genesis groups forever. */
    epochLength: z.number().int().min(0, "must be 0 (no epochs) or more rounds").default(0),
  })
  .superRefine((g, ctx) => {
    g.nodes.forEach((n, i) => {
      if (n.index !== i) ctx.addIssue({ code: "custom", path: ["nodes", i, "index"], message: `must be ${i}: nodes are listed in index order from 0` });
    });
    const seen = new Map<string, number>();
    g.nodes.forEach((n, i) => {
      const other = seen.get(n.identityKey);
      if (other !== undefined) ctx.addIssue({ code: "custom", path: ["nodes", i, "identityKey"], message: `duplicates the key of node ${other}; every node needs its own identity` });
      seen.set(n.identityKey, i);
    });
    const withCertificate = g.nodes.filter((n) => n.certificate !== undefined).length;
    g.nodes.forEach((n, i) => {
      if (n.certificate === undefined) {
        if (withCertificate > 0) ctx.addIssue({ code: "custom", path: ["nodes", i, "certificate"], message: `is missing while ${withCertificate} other nodes have one: every node serves TLS or none does; issue one from this node's identity key` });
        return;
      }
      for (const message of certificateProblems(n.certificate, n.identityKey)) ctx.addIssue({ code: "custom", path: ["nodes", i, "certificate"], message });
    });
    if (g.groups.size > g.nodes.length) {
      ctx.addIssue({ code: "custom", path: ["groups", "size"], message: `is ${g.groups.size} but the subnet has only ${g.nodes.length} nodes; lower the group size or add nodes` });
    }
    if (g.consensus.mempoolCapacityBytes < g.consensus.maxMessageBytes) {
      ctx.addIssue({ code: "custom", path: ["consensus", "mempoolCapacityBytes"], message: `is ${g.consensus.mempoolCapacityBytes} but one message may be ${g.consensus.maxMessageBytes} bytes (consensus.maxMessageBytes); it must hold at least one message` });
    }
    for (const message of beaconThresholdProblems(g.groups.threshold ?? defaultThreshold(g.groups.size), g.groups.size, g.groups.unsafeAllowMinorityThreshold)) {
      ctx.addIssue({ code: "custom", path: ["groups", "threshold"], message });
    }
    const { size } = g.groups;
    const c = g.consensus;
    for (const p of consensusThresholdProblems(c.threshold ?? defaultConsensusThreshold(size), size, c.faultBudget ?? defaultFaultBudget(size), c.unsafeAllowForks)) {
      ctx.addIssue({ code: "custom", path: ["consensus", p.path], message: p.message });
    }
  })
  .transform((g) => ({
    ...g,
    groups: { ...g.groups, threshold: g.groups.threshold ?? defaultThreshold(g.groups.size) },
    consensus: { ...g.consensus, threshold: g.consensus.threshold ?? defaultConsensusThreshold(g.groups.size), faultBudget: g.consensus.faultBudget ?? defaultFaultBudget(g.groups.size) },
  }));

/** Genesis as written in a file (defaults may be omitted). */
export type GenesisInput = z.input<typeof GenesisSchema>;
/** Genesis after validation, with every default filled in. */
export type Genesis = z.output<typeof GenesisSchema>;
export type GenesisNode = Genesis["nodes"][number];
export type Timings = Genesis["timings"];
export type ConsensusParams = Genesis["consensus"];

/** Raised for a genesis document that does not validate; the message lists every problem by field path. */
export class GenesisError extends Error {
  override readonly name = "GenesisError";
  constructor(readonly problems: readonly string[]) {
    super(`invalid genesis: ${problems.join("; ")}`);
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), "");
}

/** Validates a parsed JSON value as genesis and fills in defaults. Throws GenesisError. */
export function parseGenesis(value: unknown): Genesis {
  const result = GenesisSchema.safeParse(value);
  if (result.success) return result.data;
  throw new GenesisError(result.error.issues.map((i) => `${formatPath(i.path) || "(document)"}: ${i.message}`));
}

/** Parses genesis from JSON text. Throws GenesisError for bad JSON as well as bad content. */
export function parseGenesisJson(text: string): Genesis {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new GenesisError([`(document): not valid JSON (${(err as Error).message})`]);
  }
  return parseGenesis(value);
}

/** JSON Schema of the genesis document, for tooling and the operator's docs. */
export function genesisJsonSchema(): unknown {
  return z.toJSONSchema(GenesisSchema, { io: "input" });
}
