// SPDX-License-Identifier: Apache-2.0
/** Small object factories shared by the operator tests. */
import { API_VERSION, DATACENTER_KIND, SUBNET_KIND } from "../src/api/index.js";
import type { DataCenter, DataCenterSpec, Subnet, SubnetSpec } from "../src/api/index.js";

export function subnet(name: string, spec: Partial<SubnetSpec> = {}, namespace = "default"): Subnet {
  return {
    apiVersion: API_VERSION,
    kind: SUBNET_KIND,
    metadata: { name, namespace, uid: `uid-${name}`, generation: 1 },
    spec: { nodes: 7, groups: 1, groupSize: 7, dataCenters: { names: ["dc-a"] }, ...spec },
  };
}

export function dataCenter(name: string, spec: DataCenterSpec = {}, labels: Record<string, string> = {}): DataCenter {
  return { apiVersion: API_VERSION, kind: DATACENTER_KIND, metadata: { name, labels, uid: `uid-${name}`, generation: 1 }, spec };
}
