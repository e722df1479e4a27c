// SPDX-License-Identifier: Apache-2.0
/** relaylab custom resource API, v1alpha1: Subnet, DataCenter and ChaosExperiment types, names, conditions, defaults. */
export * from "./v1alpha1/group.js";
export * from "./v1alpha1/meta.js";
export * from "./v1alpha1/conditions.js";
export * from "./v1alpha1/subnet.js";
export * from "./v1alpha1/datacenter.js";
export * from "./v1alpha1/chaosexperiment.js";
export * from "./v1alpha1/defaults.js";
