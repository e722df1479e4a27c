// SPDX-License-Identifier: Apache-2.0
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { kube, structuralSchema, withDefaults } from "../../src/api/structural.js";

describe("structuralSchema", () => {
  it("keeps descriptions, bounds, defaults and Kubernetes extensions, in a fixed key order", () => {
    const schema = kube(
      z.object({
        n: z.number().int().min(1).max(9).describe("N."),
        tags: kube(z.array(z.string()).max(4), { description: "Tags.", "x-kubernetes-list-type": "set" }).optional(),
        mode: z.enum(["A", "B"]).default("A").describe("Mode."),
        inner: z.object({ on: z.boolean().default(false) }).prefault({}).describe("Inner."),
      }),
      { description: "Root.", "x-kubernetes-validations": [{ rule: "self.n > 0", message: "raise n" }] },
    );
    const out = structuralSchema(schema, "spec");
    assert.deepEqual(out, {
      type: "object",
      description: "Root.",
      properties: {
        n: { type: "integer", format: "int64", description: "N.", minimum: 1, maximum: 9 },
        tags: { type: "array", description: "Tags.", items: { type: "string" }, maxItems: 4, "x-kubernetes-list-type": "set" },
        mode: { type: "string", description: "Mode.", enum: ["A", "B"], default: "A" },
        inner: { type: "object", description: "Inner.", properties: { on: { type: "boolean", default: false } }, default: {} },
      },
      required: ["n"],
      "x-kubernetes-validations": [{ rule: "self.n > 0", message: "raise n" }],
    });
    assert.deepEqual(Object.keys(out.properties.n), ["type", "format", "description", "minimum", "maximum"]);
  });

  it("drops zod's safe-integer bounds and map key schemas", () => {
    const out = structuralSchema(z.object({ i: z.number().int(), m: z.record(z.string(), z.number().int().min(0)) }), "spec");
    assert.deepEqual(out.properties, {
      i: { type: "integer", format: "int64" },
      m: { type: "object", additionalProperties: { type: "integer", format: "int64", minimum: 0 } },
    });
  });

  it("turns a string-or-number union into int-or-string", () => {
    const out = structuralSchema(z.object({ q: z.union([z.string(), z.number()]) }), "spec");
    assert.deepEqual(out.properties?.q, { "x-kubernetes-int-or-string": true });
  });

  it("refuses what a structural schema cannot say, naming the field", () => {
    assert.throws(() => structuralSchema(z.object({ a: z.object({ b: z.union([z.string(), z.boolean()]) }) }), "spec"), /spec\.a\.b: a union of/);
    assert.throws(() => structuralSchema(z.object({ t: z.tuple([z.string()]) }), "spec"), /spec\.t: JSON Schema keyword prefixItems has no structural form/);
  });
});

describe("withDefaults", () => {
  const schema = structuralSchema(
    z.object({
      n: z.number().int(),
      inner: z.object({ mode: z.enum(["A", "B"]).default("A"), k: z.number().default(3) }).prefault({}),
      opt: z.object({ on: z.boolean().default(false) }).optional(),
      list: z.array(z.object({ on: z.boolean().default(true) })).optional(),
      map: z.record(z.string(), z.object({ w: z.number().default(1) })).optional(),
    }),
    "spec",
  );

  it("fills missing fields, descends into lists and maps, and leaves absent optional objects absent", () => {
    const value = { n: 1, list: [{}, { on: false }], map: { a: {} } };
    assert.deepEqual(withDefaults(schema, value), { n: 1, inner: { mode: "A", k: 3 }, list: [{ on: true }, { on: false }], map: { a: { w: 1 } } });
    assert.deepEqual(value, { n: 1, list: [{}, { on: false }], map: { a: {} } }, "the input is not changed");
  });

  it("keeps what is set", () => {
    assert.deepEqual(withDefaults(schema, { n: 1, inner: { mode: "B" }, opt: {} }), { n: 1, inner: { mode: "B", k: 3 }, opt: { on: false } });
  });

  it("passes through values of the wrong shape for validation to reject", () => {
    for (const v of [null, 7, "x", [1]]) assert.deepEqual(withDefaults(schema, v), v);
    assert.deepEqual(withDefaults(schema, { inner: "no" }), { inner: "no" });
  });
});
