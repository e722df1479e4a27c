// SPDX-License-Identifier: Apache-2.0
/**
 * Defaults of a Subnet spec. The schema defaults (timings from the genesis schema, spread, image,
 * …) are applied from the CRD's own schema, as the API server applies them; the defaults that
 * depend on groupSize come from the node's genesis rules. The operator and the local runner both
 * read a spec through `resolveSubnetSpec`, so YAML means the same thing on a cluster and on a laptop.
 */
import { defaultConsensusThreshold, defaultFaultBudget, defaultThreshold } from "@relaylab/node/config";
import { structuralSchema, withDefaults, type JSONSchemaProps } from "../structural.js";
import { SubnetSpecSchema, type ByzantineFaults, type DefaultedSubnetSpec, type SubnetSpec } from "./subnet.js";

/** A Subnet spec with every default filled in; the byzantine faults, if any, lifted out of `faults`. */
export type ResolvedSubnetSpec = Omit<DefaultedSubnetSpec, "threshold" | "consensus" | "faults"> & {
  threshold: number;
  consensus: { threshold: number; faultBudget: number; unsafeAllowForks: boolean };
  byzantine?: ByzantineFaults;
};

let specSchema: JSONSchemaProps | undefined;

/** The structural schema of a Subnet spec, as the CRD publishes it. */
export function subnetSpecSchema(): JSONSchemaProps {
  specSchema ??= structuralSchema(SubnetSpecSchema, "spec");
  return specSchema;
}

/** Fills in every default of a Subnet spec (pure). */
export function resolveSubnetSpec(spec: SubnetSpec): ResolvedSubnetSpec {
  // An empty consensus block changes no CEL verdict and picks up its own defaults.
  const { threshold, consensus, faults, ...rest } = withDefaults(subnetSpecSchema(), { ...spec, consensus: spec.consensus ?? {} }) as DefaultedSubnetSpec & {
    consensus: NonNullable<DefaultedSubnetSpec["consensus"]>;
  };
  const g = rest.groupSize;
  return {
    ...rest,
    threshold: threshold ?? defaultThreshold(g),
    consensus: {
      threshold: consensus.threshold ?? defaultConsensusThreshold(g),
      faultBudget: consensus.faultBudget ?? defaultFaultBudget(g),
      unsafeAllowForks: consensus.unsafeAllowForks,
    },
    ...(faults?.byzantine ? { byzantine: faults.byzantine } : {}),
  };
}
