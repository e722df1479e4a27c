// SPDX-License-Identifier: Apache-2.0
/**
 * Defaults of a Subnet spec, in one place: the CRD schema publishes them as OpenAPI defaults and
 * the operator and the local runner fill them in with `resolveSubnetSpec`, so YAML means the same
 * thing on a cluster and on a laptop.
 */
import { defaultConsensusThreshold, defaultFaultBudget, defaultThreshold } from "@relaylab/node/config";
import type { ByzantineFaults, DataCenterSelection, DataVolume, SpreadMode, SubnetSpec } from "./subnet.js";
import type { ResourceRequirements } from "./meta.js";

/** Node image used when a Subnet does not name one. */
export const DEFAULT_NODE_IMAGE = "ghcr.io/relaylab/node:0.1.0";

/** Timing defaults; equal to the genesis schema's defaults. */
export const DEFAULT_TIMINGS = {
  minRoundPeriodMs: 1000,
  shareRetransmitMs: 500,
  stallTimeoutMs: 5000,
  dkgTimeoutMs: 30000,
} as const;

export const DEFAULT_SPREAD: SpreadMode = "Even";

/** A Subnet spec with every default filled in. */
export interface ResolvedSubnetSpec {
  nodes: number;
  groups: number;
  groupSize: number;
  threshold: number;
  consensus: { threshold: number; faultBudget: number; unsafeAllowForks: boolean };
  dataCenters: DataCenterSelection;
  placement: { spread: SpreadMode; maxPerDataCenter?: number };
  timings: { minRoundPeriodMs: number; shareRetransmitMs: number; stallTimeoutMs: number; dkgTimeoutMs: number };
  epochLength: number;
  image: string;
  resources?: ResourceRequirements;
  storage?: DataVolume;
  byzantine?: ByzantineFaults;
  paused: boolean;
  ttlSeconds?: number;
}

/** Fills in every default of a Subnet spec (pure). */
export function resolveSubnetSpec(spec: SubnetSpec): ResolvedSubnetSpec {
  const max = spec.placement?.maxPerDataCenter;
  return {
    nodes: spec.nodes,
    groups: spec.groups,
    groupSize: spec.groupSize,
    threshold: spec.threshold ?? defaultThreshold(spec.groupSize),
    consensus: {
      threshold: spec.consensus?.threshold ?? defaultConsensusThreshold(spec.groupSize),
      faultBudget: spec.consensus?.faultBudget ?? defaultFaultBudget(spec.groupSize),
      unsafeAllowForks: spec.consensus?.unsafeAllowForks ?? false,
    },
    dataCenters: spec.dataCenters,
    placement: { spread: spec.placement?.spread ?? DEFAULT_SPREAD, ...(max !== undefined ? { maxPerDataCenter: max } : {}) },
    timings: { ...DEFAULT_TIMINGS, ...spec.timings },
    epochLength: spec.epochLength ?? 0,
    image: spec.image ?? DEFAULT_NODE_IMAGE,
    ...(spec.resources ? { resources: spec.resources } : {}),
    ...(spec.storage ? { storage: spec.storage } : {}),
    ...(spec.faults?.byzantine ? { byzantine: spec.faults.byzantine } : {}),
    paused: spec.paused ?? false,
    ...(spec.ttlSeconds !== undefined ? { ttlSeconds: spec.ttlSeconds } : {}),
  };
}
