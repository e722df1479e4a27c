// SPDX-License-Identifier: Apache-2.0
/**
 * Topology files: the same Subnet and DataCenter YAML the operator reconciles, read for a
 * local run. One or more files, each with one or more YAML documents.
 */
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { AdmissionError, admit } from "./admission.js";
import { API_VERSION, DATACENTER_KIND, type DataCenter, type Subnet, SUBNET_KIND, type SubnetSpec } from "../api/index.js";

export interface Topology {
  readonly subnet: Subnet;
  readonly dataCenters: readonly DataCenter[];
}

/** Flags that override the Subnet's spec for one run. */
export interface TopologyOverrides {
  readonly nodes?: number | undefined;
  readonly groups?: number | undefined;
  readonly groupSize?: number | undefined;
  readonly threshold?: number | undefined;
}

export class TopologyError extends Error {
  override readonly name = "TopologyError";
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** One parsed YAML document and where it came from (for error messages). */
export interface TopologyDocument {
  readonly value: unknown;
  readonly where: string;
}

/** Reads every document of every file; exactly one Subnet and any number of DataCenters. */
export function loadTopology(files: readonly string[], subnetName?: string): Topology {
  const docs: TopologyDocument[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      throw new TopologyError(`cannot read topology file ${file}`);
    }
    parseAllDocuments(text).forEach((doc, i) => {
      const where = `${file} (document ${i + 1})`;
      if (doc.errors.length > 0) throw new TopologyError(`${where}: ${doc.errors[0]?.message.split("\n")[0] ?? "invalid YAML"}`);
      docs.push({ value: doc.toJS(), where });
    });
  }
  return topologyFromDocuments(docs, files.join(", "), subnetName);
}

/** Sorts Kubernetes objects into one Subnet and its DataCenters, checking kinds and names. */
export function topologyFromDocuments(docs: readonly TopologyDocument[], source: string, subnetName?: string): Topology {
  const subnets: Subnet[] = [];
  const dataCenters: DataCenter[] = [];
  for (const { value, where } of docs) {
    if (value === null || value === undefined) continue;
    if (!isRecord(value)) throw new TopologyError(`${where}: expected a Kubernetes object with apiVersion and kind`);
    if (value.apiVersion !== API_VERSION) throw new TopologyError(`${where}: apiVersion must be ${API_VERSION}, got ${String(value.apiVersion)}`);
    const meta = value.metadata;
    if (!isRecord(meta) || typeof meta.name !== "string") throw new TopologyError(`${where}: metadata.name is required`);
    if (!isRecord(value.spec)) throw new TopologyError(`${where}: spec is required`);
    if (value.kind === SUBNET_KIND || value.kind === DATACENTER_KIND) {
      try {
        admit(value.kind, value, `${where} ${value.kind} ${meta.name}`);
      } catch (err) {
        if (err instanceof AdmissionError) throw new TopologyError(err.message);
        throw err;
      }
    }
    if (value.kind === SUBNET_KIND) subnets.push(value as unknown as Subnet);
    else if (value.kind === DATACENTER_KIND) dataCenters.push(value as unknown as DataCenter);
    else throw new TopologyError(`${where}: kind must be ${SUBNET_KIND} or ${DATACENTER_KIND}, got ${String(value.kind)}`);
  }
  const chosen = subnetName === undefined ? subnets : subnets.filter((s) => s.metadata.name === subnetName);
  if (chosen.length === 0) throw new TopologyError(subnetName ? `no Subnet named '${subnetName}' in ${source}` : `no Subnet in ${source}; add one (kind: ${SUBNET_KIND})`);
  if (chosen.length > 1) throw new TopologyError(`${chosen.length} Subnets in ${source}; pick one with --subnet NAME`);
  const names = new Set<string>();
  for (const dc of dataCenters) {
    const name = dc.metadata.name ?? "";
    if (names.has(name)) throw new TopologyError(`DataCenter '${name}' is defined twice`);
    names.add(name);
  }
  return { subnet: chosen[0] as Subnet, dataCenters };
}

/** The topology with flag overrides applied to the Subnet's spec. */
export function withOverrides(topology: Topology, o: TopologyOverrides): Topology {
  const spec: SubnetSpec = { ...topology.subnet.spec };
  if (o.nodes !== undefined) spec.nodes = o.nodes;
  if (o.groups !== undefined) spec.groups = o.groups;
  if (o.groupSize !== undefined) {
    spec.groupSize = o.groupSize;
    if (o.threshold === undefined) delete spec.threshold;
    // A consensus threshold or budget chosen for another group size means something else now: back to the defaults.
    if (spec.consensus !== undefined) {
      const { threshold: _threshold, faultBudget: _faultBudget, ...rest } = spec.consensus;
      spec.consensus = rest;
    }
  }
  if (o.threshold !== undefined) spec.threshold = o.threshold;
  return { ...topology, subnet: { ...topology.subnet, spec } };
}
