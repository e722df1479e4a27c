// SPDX-License-Identifier: Apache-2.0
/**
 * Structural OpenAPI v3 schemas from zod definitions. The relaylab API is written once in zod
 * (v1alpha1/); this module turns it into the schema a CustomResourceDefinition publishes, and
 * applies that schema's defaults the way the API server does, so the operator, the local runner
 * and a cluster all read a spec the same way.
 */
import { z } from "zod";

/**
 * CEL rule in the CRD (x-kubernetes-validations); `message` says what to fix. Static messages
 * only: a messageExpression building text with string() exceeds the API server's CEL cost budget.
 */
export interface ValidationRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueDuplicate";
}

/** The subset of JSONSchemaProps relaylab's CRDs use. */
export interface JSONSchemaProps {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  format?: string;
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  required?: string[];
  items?: JSONSchemaProps;
  additionalProperties?: JSONSchemaProps;
  default?: unknown;
  enum?: readonly unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  pattern?: string;
  "x-kubernetes-validations"?: ValidationRule[];
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-map-type"?: "granular" | "atomic";
}

/** What a zod definition may carry beyond zod's own checks: Kubernetes schema extensions and CEL rules. */
export type KubeMeta = Pick<
  JSONSchemaProps,
  "description" | "format" | "maxProperties" | "x-kubernetes-validations" | "x-kubernetes-list-type" | "x-kubernetes-list-map-keys" | "x-kubernetes-map-type"
>;

/** Attaches a description, CEL rules and list or map semantics to a zod schema; they reach the CRD and local admission. */
export function kube<T extends z.ZodType>(schema: T, meta: KubeMeta): T {
  return schema.meta(meta);
}

/** DNS label (RFC 1123), as used for object names. */
export const DNS_LABEL_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

/** A string map with at most `max` entries (labels, node selectors). */
export const stringMap = (description: string, max: number) => kube(z.record(z.string(), z.string()), { description, maxProperties: max });

/** A whole number; JSON carries it as int64 on the API server. */
export const integer = (description: string) => z.number().int().describe(description);

/**
 * Key order of emitted schemas: type first, then what the value is, then its bounds, then the
 * Kubernetes extensions, so the generated YAML reads like a hand-written CRD and diffs stay small.
 */
const KEY_ORDER: readonly (keyof JSONSchemaProps)[] = [
  "type",
  "format",
  "description",
  "properties",
  "required",
  "items",
  "additionalProperties",
  "enum",
  "minimum",
  "maximum",
  "default",
  "maxLength",
  "minLength",
  "pattern",
  "minItems",
  "maxItems",
  "maxProperties",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
  "x-kubernetes-int-or-string",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-validations",
];

/** JSON Schema keywords zod emits that a structural schema has no use for. */
const DROPPED = new Set(["$schema", "propertyNames"]);

/** One node of zod's JSON Schema output, made structural: int64 integers, int-or-string unions, known keywords only. */
function structural(node: Record<string, unknown>, where: string): JSONSchemaProps {
  const out: Record<string, unknown> = {};
  const anyOf = node.anyOf as Record<string, unknown>[] | undefined;
  if (anyOf !== undefined) {
    // z.union([z.number()…, z.string()…]) with checks on each side: int-or-string, whose bounds
    // the schema cannot state per branch (a CEL rule on the parent states them).
    const { anyOf: _branches, ...rest } = node;
    // z.union of literals of one type: an enum.
    const type = anyOf[0]?.type;
    if (anyOf.every((b) => "const" in b && b.type === type)) return structural({ ...rest, type, enum: anyOf.map((b) => b.const) }, where);
    return structural({ ...rest, type: anyOf.map((b) => b.type) }, where);
  }
  const type = node.type;
  if (Array.isArray(type)) {
    // z.union([z.string(), z.number()]): the Kubernetes quantity shape.
    const kinds = new Set(type);
    if (kinds.size !== 2 || !kinds.has("string") || !(kinds.has("number") || kinds.has("integer"))) throw new Error(`${where}: a union of ${type.join(", ")} has no structural form`);
    out["x-kubernetes-int-or-string"] = true;
  } else if (type !== undefined) out.type = type;
  if (type === "integer") out.format = "int64";
  for (const [key, value] of Object.entries(node)) {
    if (key === "type" || DROPPED.has(key)) continue;
    // A strict zod object: the API server prunes (and kubectl's strict validation refuses) unknown fields anyway.
    if (key === "additionalProperties" && "properties" in node) continue;
    // z.literal(x): a one-value enum, which a structural schema can state.
    if (key === "const") {
      out.enum = [value];
      continue;
    }
    if (!KEY_ORDER.includes(key as keyof JSONSchemaProps)) throw new Error(`${where}: JSON Schema keyword ${key} has no structural form`);
    // z.number().int() bounds itself to the safe integers; the API server needs no such bound.
    if (type === "integer" && (key === "minimum" || key === "maximum") && Math.abs(value as number) === Number.MAX_SAFE_INTEGER) continue;
    if (key === "properties") out[key] = Object.fromEntries(Object.entries(value as Record<string, Record<string, unknown>>).map(([k, s]) => [k, structural(s, `${where}.${k}`)]));
    else if (key === "items" || key === "additionalProperties") out[key] = structural(value as Record<string, unknown>, `${where}${key === "items" ? "[]" : ".*"}`);
    else out[key] = value;
  }
  return Object.fromEntries(KEY_ORDER.filter((k) => k in out).map((k) => [k, out[k]]));
}

/** The structural schema of a zod definition, as a CRD publishes it (defaults included, input side). */
export function structuralSchema(schema: z.ZodType, where: string): JSONSchemaProps {
  return structural(z.toJSONSchema(schema, { io: "input", unrepresentable: "throw" }), where);
}

/**
 * Fills in a schema's defaults as the API server does before validation: a missing property
 * with a `default` gets it, then defaulting descends into objects, list items and map values.
 * Pure: returns a copy and never throws, whatever the value.
 */
export function withDefaults(schema: JSONSchemaProps, value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = schema.items;
    return items ? value.map((v) => withDefaults(items, v)) : value;
  }
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [k, s] of Object.entries(schema.properties ?? {})) {
    if (out[k] === undefined && s.default !== undefined) out[k] = structuredClone(s.default);
    if (out[k] !== undefined) out[k] = withDefaults(s, out[k]);
  }
  if (schema.additionalProperties) {
    for (const k of Object.keys(out)) if (!(k in (schema.properties ?? {}))) out[k] = withDefaults(schema.additionalProperties, out[k]);
  }
  return out;
}
