// SPDX-License-Identifier: Apache-2.0
/**
 * The Subnet and DataCenter CRDs from crdManifests() on a real kube-apiserver: they are accepted
 * and served (short names, printer columns, status subresource, schema defaults), and every bad
 * spec is rejected by the server itself, OpenAPI schema and CEL rules alike, with a message that
 * names the field and says what to fix. Mocks cannot check CEL: only a real server compiles it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { crdManifests } from "../../src/manifests.js";
import {
  DATACENTER_PLURAL,
  DEFAULT_NODE_IMAGE,
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
   * part a static `message` and its `messageExpression` share).
   */
  readonly says: readonly string[];
}

const badSubnets: readonly BadSpec[] = [
  { name: "groupSize above nodes", spec: { nodes: 3 }, says: ["spec.groupSize", "lower spec.groupSize or raise spec.nodes"] },
  { name: "threshold above groupSize", spec: { threshold: 5 }, says: ["spec.threshold", "lower spec.threshold or raise spec.groupSize"] },
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
    name: "name too long",
    spec: {},
    objectName: "d".repeat(MAX_DATACENTER_NAME + 1),
    says: [`DataCenter names are at most ${MAX_DATACENTER_NAME} characters`],
  },
];

describe("relaylab CRDs on a real API server", { skip: suite.skip }, () => {
  const plane = suite.controlPlane(async (p) => {
    await installCrds(p.admin, crdManifests());
    await p.admin.create("/api/v1/namespaces", { metadata: { name: ns } });
  });
  const subnets = `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${SUBNET_PLURAL}`;
  const dataCenters = `/apis/${GROUP}/${VERSION}/${DATACENTER_PLURAL}`;

  /** Creates (dry run) a Subnet or DataCenter and returns the API server's rejection. */
  async function rejection(kind: "Subnet" | "DataCenter", name: string, spec: Record<string, unknown>): Promise<ApiError> {
    const body = { apiVersion: `${GROUP}/${VERSION}`, kind, metadata: { name }, spec };
    return plane()
      .admin.create(kind === "Subnet" ? subnets : dataCenters, body, { dryRun: "All" })
      .then(
        () => assert.fail(`the API server accepted ${kind} ${name} with spec ${JSON.stringify(spec)}`),
        (e: unknown) => (e instanceof ApiError ? e : Promise.reject(e as Error)),
      );
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
    assert.equal(created.spec.image, DEFAULT_NODE_IMAGE);
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
    const scaled = await admin.replace<Subnet>(`${subnets}/ok`, { ...ignored, spec: { ...ignored.spec, nodes: 5 } });
    assert.equal(scaled.metadata.generation, (before.metadata.generation ?? 0) + 1);
  });

  it("print the NODES, READY, ROUND, LATENCY, STALLS and AGE columns", async () => {
    const res = await plane().raw(subnets, "application/json;as=Table;v=v1;g=meta.k8s.io");
    assert.equal(res.status, 200, res.body);
    const table = JSON.parse(res.body) as { columnDefinitions: { name: string; priority: number }[]; rows: { cells: unknown[] }[] };
    const shown = table.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name.toUpperCase());
    assert.deepEqual(shown, ["NAME", "NODES", "READY", "ROUND", "LATENCY", "STALLS", "AGE"]);
    assert.deepEqual(table.rows[0]?.cells.slice(0, 4), ["ok", 5, 3, 7]);
  });

  describe("reject bad Subnet specs with a message that says what to fix", () => {
    for (const c of badSubnets) {
      it(c.name, async () => {
        const { code, statusMessage: message } = await rejection("Subnet", c.objectName ?? "bad", merge(validSubnetSpec, c.spec));
        assert.equal(code, 422, message);
        for (const fragment of c.says) assert.ok(message.includes(fragment), `message lacks ${JSON.stringify(fragment)}: ${message}`);
      });
    }
  });

  describe("reject bad DataCenter specs with a message that says what to fix", () => {
    for (const c of badDataCenters) {
      it(c.name, async () => {
        const { code, statusMessage: message } = await rejection("DataCenter", c.objectName ?? "bad", merge({ region: "eu" }, c.spec));
        assert.equal(code, 422, message);
        for (const fragment of c.says) assert.ok(message.includes(fragment), `message lacks ${JSON.stringify(fragment)}: ${message}`);
      });
    }
  });
});
