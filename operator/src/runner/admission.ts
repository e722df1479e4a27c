// SPDX-License-Identifier: Apache-2.0
/**
 * Local admission: a topology file is checked against the very CRDs the operator installs —
 * their OpenAPI v3 schema (with Ajv) and their CEL `x-kubernetes-validations` rules (with a CEL
 * interpreter) — so a Subnet that a cluster would reject is rejected locally with the same
 * message, before any node starts.
 */
import { evaluate } from "@marcbachmann/cel-js";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { crdManifests } from "../api/crd.js";
import type { JSONSchemaProps } from "../api/schema.js";

export class AdmissionError extends Error {
  override readonly name = "AdmissionError";
}

interface Rule {
  readonly path: readonly string[];
  readonly rule: string;
  readonly message: string;
}

interface KindCheck {
  readonly validate: ValidateFunction;
  readonly rules: readonly Rule[];
}

/** Every CEL rule of a schema with the property path it is attached to. */
function collectRules(schema: JSONSchemaProps, path: readonly string[] = []): Rule[] {
  const own = (schema["x-kubernetes-validations"] ?? []).map((v) => ({ path, rule: v.rule, message: v.message }));
  const nested = Object.entries(schema.properties ?? {}).flatMap(([k, s]) => collectRules(s, [...path, k]));
  return [...own, ...nested];
}

let checks: Map<string, KindCheck> | undefined;

function checksByKind(): Map<string, KindCheck> {
  if (checks) return checks;
  // Kubernetes keywords (x-kubernetes-*, formats such as int64) are not JSON Schema: ignore, don't fail.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  checks = new Map(
    crdManifests().map((crd) => {
      const schema = crd.spec.versions[0]?.schema.openAPIV3Schema as JSONSchemaProps;
      return [crd.spec.names.kind, { validate: ajv.compile(schema), rules: collectRules(schema) }];
    }),
  );
  return checks;
}

/** CEL integers are not doubles: whole numbers become BigInt so `a * size(b) >= c` type-checks as on the API server. */
function celValue(v: unknown): unknown {
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  if (Array.isArray(v)) return v.map(celValue);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, celValue(x)]));
  return v;
}

function at(obj: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((o, k) => (o !== null && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), obj);
}

function schemaMessage(e: ErrorObject): string {
  const where = e.instancePath.replace(/^\//, "").replaceAll("/", ".") || "(object)";
  return `${where}: ${e.message ?? "is invalid"}${"allowedValues" in e.params ? ` (${(e.params.allowedValues as unknown[]).join(", ")})` : ""}`;
}

/** Checks one object of a known kind as the API server would at admission; throws AdmissionError naming what to fix. */
export function admit(kind: string, object: unknown, where: string): void {
  const check = checksByKind().get(kind);
  if (!check) throw new AdmissionError(`${where}: unknown kind ${kind}`);
  if (!check.validate(object)) {
    const first = check.validate.errors?.[0];
    throw new AdmissionError(`${where}: ${first ? schemaMessage(first) : "does not match the schema"}`);
  }
  for (const r of check.rules) {
    const self = at(object, r.path);
    if (self === undefined) continue;
    let ok: unknown;
    try {
      ok = evaluate(r.rule, { self: celValue(self) });
    } catch (err) {
      throw new AdmissionError(`${where}: ${[...r.path].join(".") || "(object)"}: rule '${r.rule}' could not be evaluated: ${(err as Error).message}`, { cause: err });
    }
    if (ok !== true) throw new AdmissionError(`${where}: ${[...r.path, ""].join(".").replace(/\.$/, "") || "(object)"}: ${r.message}`);
  }
}
