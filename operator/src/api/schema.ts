// SPDX-License-Identifier: Apache-2.0
/**
 * A small typed builder for the structural OpenAPI v3 schemas the CRDs publish. Keeps crd.ts a
 * readable description of the API rather than a wall of nested object literals.
 */

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
  enum?: readonly string[];
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

type Extra = Omit<JSONSchemaProps, "type" | "description">;

export const int = (description: string, extra: Extra = {}): JSONSchemaProps => ({ type: "integer", format: "int64", description, ...extra });
export const num = (description: string, extra: Extra = {}): JSONSchemaProps => ({ type: "number", description, ...extra });
export const str = (description: string, extra: Extra = {}): JSONSchemaProps => ({ type: "string", description, ...extra });
export const bool = (description: string, extra: Extra = {}): JSONSchemaProps => ({ type: "boolean", description, ...extra });
export const arr = (description: string, items: JSONSchemaProps, extra: Extra = {}): JSONSchemaProps => ({ type: "array", description, items, ...extra });
export const obj = (description: string, properties: Record<string, JSONSchemaProps>, extra: Extra = {}): JSONSchemaProps => ({
  type: "object",
  description,
  properties,
  ...extra,
});
export const stringMap = (description: string, extra: Extra = {}): JSONSchemaProps => ({ type: "object", description, additionalProperties: { type: "string" }, ...extra });

/** DNS label (RFC 1123), as used for object names. */
export const DNS_LABEL_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

/** Kubernetes label selector (matchLabels + matchExpressions). */
export const labelSelectorSchema = (description: string): JSONSchemaProps =>
  obj(
    description,
    {
      matchLabels: stringMap("Labels that must all match.", { maxProperties: 32 }),
      matchExpressions: arr(
        "Set-based requirements that must all match.",
        obj(
          "One requirement.",
          {
            key: str("Label key."),
            operator: str("How the key relates to the values.", { enum: ["In", "NotIn", "Exists", "DoesNotExist"] }),
            values: arr("Values for In and NotIn.", str("A label value."), { maxItems: 64 }),
          },
          { required: ["key", "operator"] },
        ),
        { maxItems: 16 },
      ),
    },
    { "x-kubernetes-map-type": "atomic" },
  );

/** metav1.Condition, as a list keyed on `type`. */
export const conditionsSchema = (): JSONSchemaProps =>
  arr(
    "Current state, one entry per condition type.",
    obj(
      "A metav1.Condition.",
      {
        type: str("Condition type, e.g. Ready.", { maxLength: 316 }),
        status: str("True, False or Unknown.", { enum: ["True", "False", "Unknown"] }),
        observedGeneration: int("metadata.generation the condition was computed from.", { minimum: 0 }),
        lastTransitionTime: str("When status last changed.", { format: "date-time" }),
        reason: str("CamelCase reason.", { maxLength: 1024, minLength: 1, pattern: "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$" }),
        message: str("Human-readable detail: what is wrong and what to do.", { maxLength: 32768 }),
      },
      { required: ["type", "status", "lastTransitionTime", "reason", "message"] },
    ),
    { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] },
  );
