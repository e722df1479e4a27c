// SPDX-License-Identifier: Apache-2.0
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { TimingsSchema } from "@relaylab/node/config";
import { DEFAULT_EMPTYDIR_SIZE_LIMIT, DEFAULT_NODE_RESOURCES, resolveSubnetSpec } from "../../src/api/index.js";

describe("resolveSubnetSpec", () => {
  const minimal = { nodes: 7, groups: 1, groupSize: 7, dataCenters: { names: ["a"] } };

  it("fills the schema defaults, with the genesis document's timings", () => {
    const r = resolveSubnetSpec(minimal);
    assert.deepEqual(r.timings, TimingsSchema.parse({}));
    assert.deepEqual(r.placement, { spread: "Even" });
    // The node image is the operator's (its --node-image), not written into the spec.
    assert.equal(r.image, undefined);
    assert.deepEqual(r.resources, DEFAULT_NODE_RESOURCES);
    assert.deepEqual(r.storage, { emptyDirSizeLimit: DEFAULT_EMPTYDIR_SIZE_LIMIT });
    assert.equal(r.epochLength, 0);
    assert.equal(r.paused, false);
  });

  it("derives the thresholds and the fault budget from groupSize", () => {
    assert.deepEqual([resolveSubnetSpec(minimal).threshold, resolveSubnetSpec(minimal).consensus], [4, { threshold: 5, faultBudget: 2, unsafeAllowForks: false }]);
  });

  it("keeps what the spec sets and lifts the byzantine faults out", () => {
    const r = resolveSubnetSpec({
      ...minimal,
      threshold: 6,
      consensus: { threshold: 7, unsafeAllowForks: true },
      timings: { stallTimeoutMs: 9 },
      faults: { byzantine: { count: 1, behaviour: "InvalidShares" } },
    });
    assert.equal(r.threshold, 6);
    assert.deepEqual(r.consensus, { threshold: 7, faultBudget: 2, unsafeAllowForks: true });
    assert.deepEqual(r.timings, { ...TimingsSchema.parse({}), stallTimeoutMs: 9 });
    assert.deepEqual(r.byzantine, { count: 1, behaviour: "InvalidShares" });
    assert.equal("faults" in r, false);
  });
});
