// SPDX-License-Identifier: Apache-2.0
/**
 * The Subnet, DataCenter and ChaosExperiment CRDs from crdManifests() on a real kube-apiserver: they are accepted
 * and served (short names, printer columns, status subresource, schema defaults), and every bad
 * spec is rejected by the server itself, OpenAPI schema and CEL rules alike, with a message that
 * names the field and says what to fix. Mocks cannot check CEL: only a real server compiles it.
 * Every spec of the tables also goes through local admission (`admit`, used by `relaylab up`),
 * which must reach the server's verdict: rejected by both, or accepted by both.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { crdManifests } from "../../src/manifests.js";
import {
  CHAOS_PLURAL,
  DATACENTER_PLURAL,
  DEFAULT_NODE_RESOURCES,
  DEFAULT_SPREAD,
  GROUP,
  MAX_DATACENTER_NAME,
  MAX_SUBNET_NAME,
  SUBNET_PLURAL,
  VERSION,
  type DataCenter,
  type Subnet,
} from "../../src/api/index.js";
import { TimingsSchema } from "@relaylab/node/config";
import { AdmissionError, admit } from "../../src/local/admission.js";
import { ApiError } from "./harness.js";
import { installCrds } from "./harness/crds.js";
import { k8sSuite } from "./harness/suite.js";

const suite = await k8sSuite();
const ns = "crd";

/** A JSON merge of `patch` into `base`, where `null` in the patch deletes a key (RFC 7386). */
function merge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(base)) if (patch[k] !== null) out[k] = v;
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) continue;
    if (typeof v === "object" && !Array.isArray(v) && typeof out[k] === "object" && out[k] !== null && !Array.isArray(out[k])) {
      out[k] = merge(out[k] as Record<string, unknown>, v as Record<string, unknown>);
    } else out[k] = v;
  }
  return out;
}

const validSubnetSpec = { nodes: 4, groups: 1, groupSize: 4, dataCenters: { names: ["dc-a", "dc-b"] } };

interface BadSpec {
  readonly name: string;
  /** Merged into the valid spec; `null` removes a field. */
  readonly spec: Record<string, unknown>;
  readonly objectName?: string;
  /**
   * Every fragment must appear in the API server's message: the field path and what to fix (the
   * part a static `message` and its `messageExpression` share). Fragments that are field paths
   * (`spec.…`) must appear in local admission's message too.
   */
  readonly says: readonly string[];
}

/** Specs near the edge of a rule that both the server and local admission must accept. */
interface GoodSpec {
  readonly name: string;
  readonly spec: Record<string, unknown>;
}

const badSubnets: readonly BadSpec[] = [
  { name: "groupSize above nodes", spec: { nodes: 3 }, says: ["spec.groupSize", "lower spec.groupSize or raise spec.nodes"] },
  { name: "threshold above groupSize", spec: { threshold: 5 }, says: ["spec.threshold", "lower spec.threshold or raise spec.groupSize"] },
  { name: "a beacon threshold that is not a majority", spec: { threshold: 2 }, says: ["spec.threshold", "raise spec.threshold above groupSize/2, or set spec.unsafeAllowMinorityThreshold: true"] },
  {
    name: "more byzantine members than nodes",
    spec: { faults: { byzantine: { count: 5, behaviour: "WithholdShares" } } },
    says: ["spec.faults.byzantine.count", "must be at most nodes"],
  },
  {
    name: "capacity exceeded by maxPerDataCenter",
    spec: { placement: { maxPerDataCenter: 1 } },
    says: ["spec.placement.maxPerDataCenter", "add data centers, raise", "or lower nodes"],
  },
  {
    name: "both names and a selector",
    spec: { dataCenters: { selector: { matchLabels: { tier: "a" } } } },
    says: ["spec.dataCenters", "set exactly one of dataCenters.names and dataCenters.selector"],
  },
  { name: "neither names nor a selector", spec: { dataCenters: { names: null } }, says: ["set exactly one of dataCenters.names and dataCenters.selector"] },
  { name: "negative timing", spec: { timings: { stallTimeoutMs: -5 } }, says: ["spec.timings.stallTimeoutMs", "greater than or equal to 1"] },
  { name: "zero nodes", spec: { nodes: 0, groupSize: 0 }, says: ["spec.nodes", "greater than or equal to 1"] },
  { name: "negative epoch length", spec: { epochLength: -1 }, says: ["spec.epochLength", "greater than or equal to 0"] },
  { name: "a zero TTL", spec: { ttlSeconds: 0 }, says: ["spec.ttlSeconds", "greater than or equal to 1"] },
  { name: "missing groups", spec: { groups: null }, says: ["spec.groups", "Required value"] },
  {
    name: "unknown byzantine behaviour",
    spec: { faults: { byzantine: { count: 1, behaviour: "Chaotic" } } },
    says: ["spec.faults.byzantine.behaviour", 'Unsupported value: "Chaotic"'],
  },
  { name: "unknown spread", spec: { placement: { spread: "Random" } }, says: ["spec.placement.spread", 'Unsupported value: "Random"'] },
  { name: "data center name that is not a DNS label", spec: { dataCenters: { names: ["DC_A"] } }, says: ["spec.dataCenters.names[0]", "should match"] },
  { name: "duplicate data center names", spec: { dataCenters: { names: ["dc-a", "dc-a"] } }, says: ["spec.dataCenters.names[1]", "Duplicate value"] },
  { name: "malformed storage size", spec: { storage: { size: "lots" } }, says: ["spec.storage.size", "should match"] },
  {
    name: "an In selector requirement without values",
    spec: { dataCenters: { names: null, selector: { matchExpressions: [{ key: "tier", operator: "Exists" }, { key: "zone", operator: "In" }] } } },
    says: ["spec.dataCenters.selector.matchExpressions[1].values", "operators In and NotIn need values"],
  },
  {
    name: "an Exists selector requirement with values",
    spec: { dataCenters: { names: null, selector: { matchExpressions: [{ key: "tier", operator: "Exists", values: ["a"] }] } } },
    says: ["spec.dataCenters.selector.matchExpressions[0].values", "operators Exists and DoesNotExist take no values"],
  },
  {
    name: "an unsafe consensus threshold",
    spec: { consensus: { threshold: 2 } },
    says: ["spec.consensus.threshold", "set spec.consensus.unsafeAllowForks: true for a network meant to fork"],
  },
  {
    name: "a fault budget that silent notaries exceed",
    spec: { consensus: { threshold: 4, faultBudget: 1 } },
    says: ["spec.consensus.faultBudget", "lower spec.consensus.faultBudget or spec.consensus.threshold"],
  },
  { name: "a quantity that is neither a string nor a number", spec: { resources: { limits: { cpu: true } } }, says: ["spec.resources.limits.cpu"] },
  { name: "name too long", spec: {}, objectName: "s".repeat(MAX_SUBNET_NAME + 1), says: [`Subnet names are at most ${MAX_SUBNET_NAME} characters`] },
];

const badDataCenters: readonly BadSpec[] = [
  { name: "loss above 1", spec: { network: { loss: 1.5 } }, says: ["spec.network.loss", "less than or equal to 1"] },
  { name: "latency key that is not a DataCenter name", spec: { network: { latencyMs: { Bad_Key: 5 } } }, says: ["spec.network.latencyMs", "latencyMs keys must be DataCenter names"] },
  { name: "negative latency", spec: { network: { latencyMs: { "dc-b": -1 } } }, says: ["spec.network.latencyMs.dc-b", "greater than or equal to 0"] },
  { name: "negative jitter", spec: { network: { jitterMs: -1 } }, says: ["spec.network.jitterMs", "greater than or equal to 0"] },
  { name: "negative capacity", spec: { capacity: { maxNodes: -1 } }, says: ["spec.capacity.maxNodes", "greater than or equal to 0"] },
  {
    name: "unknown toleration operator",
    spec: { placement: { tolerations: [{ key: "k", operator: "Maybe" }] } },
    says: ["spec.placement.tolerations[0].operator", 'Unsupported value: "Maybe"'],
  },
  {
    name: "an Exists toleration with a value",
    spec: { placement: { tolerations: [{ key: "k", operator: "Equal", value: "v" }, { key: "k", operator: "Exists", value: "v" }] } },
    says: ["spec.placement.tolerations[1].value", "a toleration with operator Exists matches every value"],
  },
  { name: "duplicate topology labels", spec: { placement: { topologyLabels: ["h", "h"] } }, says: ["spec.placement.topologyLabels[1]", "Duplicate value"] },
  {
    name: "name too long",
    spec: {},
    objectName: "d".repeat(MAX_DATACENTER_NAME + 1),
    says: [`DataCenter names are at most ${MAX_DATACENTER_NAME} characters`],
  },
];

const goodSubnets: readonly GoodSpec[] = [
  { name: "the minimal spec", spec: {} },
  { name: "an unsafe threshold allowed for a fork experiment", spec: { consensus: { threshold: 2, unsafeAllowForks: true } } },
  { name: "a consensus block with only the fork switch", spec: { consensus: { unsafeAllowForks: false } } },
  { name: "a minority beacon threshold allowed for an experiment without a byzantine budget", spec: { threshold: 2, unsafeAllowMinorityThreshold: true } },
  { name: "byzantine members up to nodes", spec: { faults: { byzantine: { count: 4, behaviour: "SelectiveShares", selectivePeers: [0, 1] } } } },
  { name: "named data centers that hold every node", spec: { placement: { maxPerDataCenter: 2 } } },
  {
    name: "a selector with each requirement shape",
    spec: {
      dataCenters: {
        names: null,
        selector: { matchLabels: { tier: "a" }, matchExpressions: [{ key: "zone", operator: "In", values: ["x"] }, { key: "gpu", operator: "DoesNotExist" }] },
      },
    },
  },
  { name: "numeric and string quantities", spec: { resources: { requests: { cpu: 1, memory: "64Mi" } } } },
  { name: "zero timings where zero is allowed", spec: { timings: { minRoundPeriodMs: 0 }, epochLength: 0 } },
  { name: "the longest name", spec: {} },
];

const goodDataCenters: readonly GoodSpec[] = [
  { name: "an empty spec", spec: {} },
  { name: "an Exists toleration without a value", spec: { placement: { tolerations: [{ key: "k", operator: "Exists", effect: "NoExecute", tolerationSeconds: 30 }] } } },
  { name: "the widest network profile", spec: { network: { latencyMs: { "dc-a": 0, "dc-b": 600000 }, jitterMs: 600000, loss: 1, bandwidthBps: 0 } } },
];

/** A ChaosExperiment spec: a 4-node Subnet in one group of 4, and a crash of 2 members of group 0 for 2 rounds. */
const validChaosSpec = {
  subnet: validSubnetSpec,
  rounds: 10,
  steps: [{ name: "crash", at: { round: 3 }, action: "crash", target: { group: 0, members: 2 }, for: { round: 2 } }],
  expectations: { maxStalls: 2 },
};
const step = (patch: Record<string, unknown>): Record<string, unknown> => ({ steps: [merge(validChaosSpec.steps[0] as Record<string, unknown>, patch)] });

const badChaos: readonly BadSpec[] = [
  { name: "an unknown action", spec: step({ action: "explode" }), says: ["spec.steps[0].action", "Unsupported value", "crash"] },
  { name: "a selector larger than the group", spec: step({ target: { members: 5 } }), says: ["spec.steps", "larger than a group", "lower members"] },
  { name: "a group the Subnet does not have", spec: step({ target: { group: 1 } }), says: ["spec.steps", "names no group"] },
  { name: "a node the Subnet does not have", spec: step({ target: { group: null, members: null, nodes: [4] } }), says: ["spec.steps", "names a node the Subnet does not have"] },
  { name: "two selectors", spec: step({ target: { dataCenter: "dc-a" } }), says: ["spec.steps[0].target", "name exactly one of"] },
  { name: "members without a group", spec: step({ target: { group: null, random: 2 } }), says: ["spec.steps[0].target.members", "members applies only to group"] },
  { name: "a delay without delayMs", spec: step({ action: "delay", for: null }), says: ["spec.steps[0]", "delayMs is required for action delay"] },
  { name: "a step after the run", spec: step({ at: { round: 11 } }), says: ["spec.steps", "fires after the run ends"] },
  { name: "both round and seconds", spec: step({ at: { round: 3, seconds: 1 } }), says: ["spec.steps[0].at", "exactly one of round or seconds"] },
  { name: "a data center the Subnet does not run in", spec: step({ target: { group: null, members: null, dataCenter: "dc-z" } }), says: ["spec.steps", "not one of subnet.dataCenters.names"] },
  { name: "a bad Subnet inside", spec: { subnet: { ...validSubnetSpec, groupSize: 5 } }, says: ["spec.subnet.groupSize", "groupSize must be at most nodes"] },
  { name: "a run of one round", spec: { rounds: 1, steps: [] }, says: ["spec.rounds"] },
];

const goodChaos: readonly GoodSpec[] = [
  { name: "the example crash", spec: {} },
  { name: "members as an expression of g and t", spec: step({ target: { members: "g-t+1" } }) },
  { name: "a restart of an earlier step's victims", spec: { steps: [validChaosSpec.steps[0], { name: "again", at: { round: 8 }, action: "restart", target: { step: "crash" } }] } },
  { name: "a replay of a record", spec: { replay: { genesisSeed: "ab".repeat(32), selectorSeed: 1, steps: [{ name: "crash", firedAtRound: 3, victims: [1, 2] }] } } },
];

/** Object names of the accepted rows: one is the longest name allowed. */
const goodName = (kind: "Subnet" | "DataCenter", row: string) => (row === "the longest name" ? "s".repeat(kind === "Subnet" ? MAX_SUBNET_NAME : MAX_DATACENTER_NAME) : "good");

/** Local admission's verdict on an object: its message, or undefined when accepted. */
type Kind = "Subnet" | "DataCenter" | "ChaosExperiment";

function localRejection(kind: Kind, name: string, spec: Record<string, unknown>): string | undefined {
  try {
    admit(kind, { apiVersion: `${GROUP}/${VERSION}`, kind, metadata: { name }, spec }, `${kind} ${name}`);
    return undefined;
  } catch (err) {
    if (err instanceof AdmissionError) return err.message;
    throw err;
  }
}

describe("relaylab CRDs on a real API server", { skip: suite.skip }, () => {
  const plane = suite.controlPlane(async (p) => {
    await installCrds(p.admin, crdManifests());
    await p.admin.create("/api/v1/namespaces", { metadata: { name: ns } });
  });
  const subnets = `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${SUBNET_PLURAL}`;
  const dataCenters = `/apis/${GROUP}/${VERSION}/${DATACENTER_PLURAL}`;
  const experiments = `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${CHAOS_PLURAL}`;

  /** Creates (dry run) a Subnet or DataCenter; returns the API server's rejection, or undefined when it accepts. */
  async function serverRejection(kind: Kind, name: string, spec: Record<string, unknown>): Promise<ApiError | undefined> {
    const body = { apiVersion: `${GROUP}/${VERSION}`, kind, metadata: { name }, spec };
    return plane()
      .admin.create(kind === "Subnet" ? subnets : kind === "ChaosExperiment" ? experiments : dataCenters, body, { dryRun: "All" })
      .then(
        () => undefined,
        (e: unknown) => (e instanceof ApiError ? e : Promise.reject(e as Error)),
      );
  }

  /** Both must reject `spec`: the server with `says` in its message, local admission naming the same fields. */
  async function rejectedByBoth(kind: Kind, c: BadSpec, spec: Record<string, unknown>): Promise<void> {
    const name = c.objectName ?? "bad";
    const server = await serverRejection(kind, name, spec);
    const local = localRejection(kind, name, spec);
    assert.ok(server, `the API server accepted ${kind} ${name} with spec ${JSON.stringify(spec)}${local === undefined ? " (so did admit)" : `, admit rejected it: ${local}`}`);
    assert.equal(server.code, 422, server.statusMessage);
    for (const fragment of c.says) assert.ok(server.statusMessage.includes(fragment), `message lacks ${JSON.stringify(fragment)}: ${server.statusMessage}`);
    assert.ok(local !== undefined, `admit accepted ${kind} ${name} with spec ${JSON.stringify(spec)}, the API server rejected it: ${server.statusMessage}`);
    for (const fragment of c.says.filter((f) => f.startsWith("spec."))) assert.ok(local.includes(fragment), `admit's message lacks ${JSON.stringify(fragment)}: ${local}`);
  }

  /** Both must accept `spec`. */
  async function acceptedByBoth(kind: Kind, name: string, spec: Record<string, unknown>): Promise<void> {
    const server = await serverRejection(kind, name, spec);
    assert.equal(server?.statusMessage, undefined, `the API server rejected ${kind} ${name} with spec ${JSON.stringify(spec)}`);
    assert.equal(localRejection(kind, name, spec), undefined, `admit rejected ${kind} ${name}, the API server accepted it`);
  }

  it("are established with their names and short names", async () => {
    for (const [plural, short] of [
      [SUBNET_PLURAL, "sn"],
      [DATACENTER_PLURAL, "dc"],
    ] as const) {
      const crd = await plane().admin.get<{ status: { acceptedNames: { plural: string; shortNames?: string[] } } }>(
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${plural}.${GROUP}`,
      );
      assert.deepEqual(crd.status.acceptedNames.shortNames, [short]);
      assert.equal(crd.status.acceptedNames.plural, plural);
    }
  });

  it("accept a valid Subnet and fill in the schema defaults", async () => {
    const created = await plane().admin.create<Subnet>(subnets, {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "Subnet",
      metadata: { name: "ok" },
      spec: validSubnetSpec,
    });
    assert.equal(created.spec.placement?.spread, DEFAULT_SPREAD);
    assert.deepEqual(created.spec.timings, TimingsSchema.parse({}));
    assert.equal(created.spec.image, undefined, "the node image is the operator's, not written into the Subnet");
    assert.deepEqual(created.spec.resources, DEFAULT_NODE_RESOURCES);
    assert.equal(created.spec.epochLength, 0);
    assert.equal(created.spec.paused, false);
    assert.equal(created.spec.threshold, undefined, "the threshold default depends on groupSize and is left to the operator");
  });

  it("accept a valid DataCenter with a full network profile", async () => {
    const spec = {
      region: "eu-west",
      placement: { nodeSelector: { "topology.kubernetes.io/zone": "a" }, topologyLabels: ["kubernetes.io/hostname"] },
      capacity: { maxNodes: 10 },
      network: { latencyMs: { "dc-a": 1, "dc-b": 40 }, jitterMs: 5, loss: 0.01, bandwidthBps: 1_000_000 },
    };
    const created = await plane().admin.create<DataCenter>(dataCenters, {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "DataCenter",
      metadata: { name: "dc-a" },
      spec,
    });
    assert.deepEqual(created.spec, { ...spec, outage: false });
  });

  it("keep status behind the status subresource: status writes do not bump the generation", async () => {
    const { admin } = plane();
    const before = await admin.get<Subnet>(`${subnets}/ok`);
    const withStatus = await admin.replace<Subnet>(`${subnets}/ok/status`, {
      ...before,
      status: { observedGeneration: before.metadata.generation, readyNodes: 3, round: 7 },
    });
    assert.equal(withStatus.metadata.generation, before.metadata.generation);
    assert.equal(withStatus.status?.round, 7);
    const ignored = await admin.replace<Subnet>(`${subnets}/ok`, { ...withStatus, status: { round: 99 } });
    assert.equal(ignored.status?.round, 7, "status sent to the main resource is ignored");
    const scaled = await admin.replace<Subnet>(`${subnets}/ok`, { ...ignored, spec: { ...ignored.spec, nodes: 5, topologyChange: "NewNetwork" } });
    assert.equal(scaled.metadata.generation, (before.metadata.generation ?? 0) + 1);
  });

  it("refuse an update that changes the topology unless it sets topologyChange: NewNetwork, as local admission does", async () => {
    const { admin } = plane();
    const current = await admin.get<Subnet>(`${subnets}/ok`);
    const reset = { ...current, spec: { ...current.spec, topologyChange: "Reject" as const } };
    const changed = { ...reset, spec: { ...reset.spec, groups: reset.spec.groups + 1 } };
    const refused = await admin.replace(`${subnets}/ok`, changed).then(
      () => assert.fail("the API server accepted a change of groups"),
      (e: unknown) => (e instanceof ApiError ? e : Promise.reject(e as Error)),
    );
    assert.equal(refused.code, 422, refused.statusMessage);
    assert.match(refused.statusMessage, /changing nodes, groups, groupSize, threshold or genesisSeed starts a new network .*set spec\.topologyChange: NewNetwork/);
    assert.throws(() => admit("Subnet", changed, "Subnet ok", reset), /set spec\.topologyChange: NewNetwork/);
    // The same change with the opt-in passes both.
    const optIn = { ...changed, spec: { ...changed.spec, topologyChange: "NewNetwork" as const } };
    await admin.replace(`${subnets}/ok`, optIn, { dryRun: "All" });
    assert.doesNotThrow(() => admit("Subnet", optIn, "Subnet ok", reset));
  });

  it("print the NODES, READY, ROUND, LATENCY, SIGNING, STALLS and AGE columns", async () => {
    const res = await plane().raw(subnets, "application/json;as=Table;v=v1;g=meta.k8s.io");
    assert.equal(res.status, 200, res.body);
    const table = JSON.parse(res.body) as { columnDefinitions: { name: string; priority: number }[]; rows: { cells: unknown[] }[] };
    const shown = table.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name.toUpperCase());
    assert.deepEqual(shown, ["NAME", "NODES", "READY", "ROUND", "LATENCY", "SIGNING", "STALLS", "AGE"]);
    assert.deepEqual(table.rows[0]?.cells.slice(0, 4), ["ok", 5, 3, 7]);
  });

  describe("reject bad Subnet specs with a message that says what to fix, as local admission does", () => {
    for (const c of badSubnets) it(c.name, () => rejectedByBoth("Subnet", c, merge(validSubnetSpec, c.spec)));
  });

  describe("reject bad DataCenter specs with a message that says what to fix, as local admission does", () => {
    for (const c of badDataCenters) it(c.name, () => rejectedByBoth("DataCenter", c, merge({ region: "eu" }, c.spec)));
  });

  describe("accept Subnet specs at the edge of a rule, as local admission does", () => {
    for (const c of goodSubnets) it(c.name, () => acceptedByBoth("Subnet", goodName("Subnet", c.name), merge(validSubnetSpec, c.spec)));
  });

  describe("reject bad ChaosExperiments with a message that says what to fix, as local admission does", () => {
    for (const c of badChaos) it(c.name, () => rejectedByBoth("ChaosExperiment", c, merge(validChaosSpec, c.spec)));
  });

  describe("accept ChaosExperiments at the edge of a rule, as local admission does", () => {
    for (const c of goodChaos) it(c.name, () => acceptedByBoth("ChaosExperiment", "good", merge(validChaosSpec, c.spec)));
  });

  it("refuse any change of a ChaosExperiment's spec", async () => {
    const { admin } = plane();
    await admin.create(experiments, { apiVersion: `${GROUP}/${VERSION}`, kind: "ChaosExperiment", metadata: { name: "fixed" }, spec: validChaosSpec });
    const current = await admin.get<{ spec: typeof validChaosSpec }>(`${experiments}/fixed`);
    const refused = await admin.replace(`${experiments}/fixed`, { ...current, spec: { ...current.spec, rounds: 20 } }).then(
      () => assert.fail("the API server accepted a change of rounds"),
      (e: unknown) => (e instanceof ApiError ? e : Promise.reject(e as Error)),
    );
    assert.equal(refused.code, 422, refused.statusMessage);
    assert.match(refused.statusMessage, /cannot change once created: delete it and create it again/);
  });

  describe("accept DataCenter specs at the edge of a rule, as local admission does", () => {
    for (const c of goodDataCenters) it(c.name, () => acceptedByBoth("DataCenter", goodName("DataCenter", c.name), merge({ region: "eu" }, c.spec)));
  });
});
