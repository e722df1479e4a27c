// SPDX-License-Identifier: Apache-2.0
/**
 * Local admission: a topology file is checked against the very CRDs the operator installs, the
 * way the API server checks a create: schema defaults first, then the OpenAPI v3 schema (with
 * Ajv), the list types (`set` and `map` lists hold no duplicates) and every CEL
 * `x-kubernetes-validations` rule wherever it sits (objects, list items, map values), with a CEL
 * interpreter. A Subnet that a cluster would reject is rejected locally with the same message,
 * before any node starts; the real-API-server suite holds both to the same verdict.
 */
import { evaluate } from "@marcbachmann/cel-js";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { crdManifests } from "../api/crd.js";
import { withDefaults, type JSONSchemaProps } from "../api/structural.js";

export class AdmissionError extends Error {
  override readonly name = "AdmissionError";
}

interface KindCheck {
  readonly schema: JSONSchemaProps;
  readonly validate: ValidateFunction;
}

let checks: Map<string, KindCheck> | undefined;

function checksByKind(): Map<string, KindCheck> {
  if (checks) return checks;
  // Kubernetes keywords (x-kubernetes-*, formats such as int64) are not JSON Schema: ignore, don't fail.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addKeyword({
    keyword: "x-kubernetes-int-or-string",
    schemaType: "boolean",
    validate: (on: boolean, data: unknown) => !on || typeof data === "string" || Number.isInteger(data),
    error: { message: "must be an integer or a string" },
  });
  checks = new Map(
    crdManifests().map((crd) => {
      const schema = crd.spec.versions[0]?.schema.openAPIV3Schema as JSONSchemaProps;
      return [crd.spec.names.kind, { schema, validate: ajv.compile(schema) }];
    }),
  );
  return checks;
}

/**
 * One value of the object together with the schema that governs it, its field path (`spec.names[1]`)
 * and, on an update, the old object's value at the same place (what a transition rule calls oldSelf).
 */
interface Node {
  readonly schema: JSONSchemaProps;
  readonly value: unknown;
  readonly old: unknown;
  readonly path: string;
}

const child = (value: unknown, key: string | number): unknown => (value !== null && typeof value === "object" ? (value as Record<string | number, unknown>)[key] : undefined);

/** Every present value of `value` that `schema` describes: object properties, list items and map values, depth first. */
function* nodes(schema: JSONSchemaProps, value: unknown, old: unknown, path: string): Generator<Node> {
  yield { schema, value, old, path };
  if (Array.isArray(value)) {
    if (schema.items) for (const [i, v] of value.entries()) yield* nodes(schema.items, v, child(old, i), `${path}[${String(i)}]`);
    return;
  }
  if (value === null || typeof value !== "object") return;
  for (const [k, v] of Object.entries(value)) {
    const s = schema.properties?.[k] ?? schema.additionalProperties;
    if (s && v !== undefined) yield* nodes(s, v, child(old, k), path ? `${path}.${k}` : k);
  }
}

/** A rule that reads oldSelf is a transition rule: checked only on an update where the old value exists. */
const TRANSITION = /\boldSelf\b/;

/** CEL integers are not doubles: whole numbers become BigInt so `a * size(b) >= c` type-checks as on the API server. */
function celValue(v: unknown): unknown {
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  if (Array.isArray(v)) return v.map(celValue);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, celValue(x)]));
  return v;
}

/** Ajv's JSON pointer as the API server writes a field path: `spec.names[0]`, a missing property included. */
function fieldPath(e: ErrorObject): string {
  const parts = e.instancePath.split("/").slice(1);
  if (e.keyword === "required") parts.push((e.params as { missingProperty: string }).missingProperty);
  return parts.map((p, i) => (/^[0-9]+$/.test(p) ? `[${p}]` : `${i > 0 ? "." : ""}${p}`)).join("");
}

function schemaMessage(e: ErrorObject): string {
  const where = fieldPath(e) || "(object)";
  return `${where}: ${e.message ?? "is invalid"}${"allowedValues" in e.params ? ` (${(e.params.allowedValues as unknown[]).join(", ")})` : ""}`;
}

/** The first duplicate of a `set` list (by value) or a `map` list (by its key fields), as the API server reports it. */
function duplicate(schema: JSONSchemaProps, list: readonly unknown[], path: string): string | undefined {
  const type = schema["x-kubernetes-list-type"];
  if (type !== "set" && type !== "map") return undefined;
  const keys = schema["x-kubernetes-list-map-keys"] ?? [];
  const seen = new Set<string>();
  for (const [i, item] of list.entries()) {
    const key = JSON.stringify(type === "set" ? item : keys.map((k) => (item as Record<string, unknown>)[k]));
    if (seen.has(key)) return `${path}[${String(i)}]: Duplicate value: ${key}`;
    seen.add(key);
  }
  return undefined;
}

/**
 * Checks one object of a known kind as the API server would at admission (a create, or with `old`
 * an update, which also runs the transition rules); throws AdmissionError naming what to fix.
 */
export function admit(kind: string, object: unknown, where: string, old?: unknown): void {
  const check = checksByKind().get(kind);
  if (!check) throw new AdmissionError(`${where}: unknown kind ${kind}`);
  const defaulted = withDefaults(check.schema, object);
  if (!check.validate(defaulted)) {
    const first = check.validate.errors?.[0];
    throw new AdmissionError(`${where}: ${first ? schemaMessage(first) : "does not match the schema"}`);
  }
  const previous = old === undefined ? undefined : withDefaults(check.schema, old);
  for (const { schema, value, old: oldValue, path } of nodes(check.schema, defaulted, previous, "")) {
    const dup = Array.isArray(value) ? duplicate(schema, value, path) : undefined;
    if (dup) throw new AdmissionError(`${where}: ${dup}`);
    for (const r of schema["x-kubernetes-validations"] ?? []) {
      const transition = TRANSITION.test(r.rule);
      if (transition && oldValue === undefined) continue;
      const field = `${path}${r.fieldPath ?? ""}` || "(object)";
      let ok: unknown;
      try {
        ok = evaluate(r.rule, transition ? { self: celValue(value), oldSelf: celValue(oldValue) } : { self: celValue(value) });
      } catch (err) {
        throw new AdmissionError(`${where}: ${field}: rule '${r.rule}' could not be evaluated: ${(err as Error).message}`, { cause: err });
      }
      if (ok !== true) throw new AdmissionError(`${where}: ${field}: ${r.message}`);
    }
  }
}
