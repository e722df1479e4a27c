// SPDX-License-Identifier: Apache-2.0
/** API group and version of relaylab's custom resources. */
export const GROUP = "relaylab.dev";
export const VERSION = "v1alpha1";
/** `apiVersion` field value of every relaylab object. */
export const API_VERSION = `${GROUP}/${VERSION}`;

/**
 * Longest Subnet and DataCenter names. A node pod is named `<subnet>-<datacenter>-<index>`, and a
 * StatefulSet name must leave room for its revision hash within 63 characters.
 */
export const MAX_SUBNET_NAME = 30;
export const MAX_DATACENTER_NAME = 20;

/** Most nodes one Subnet may ask for, and one DataCenter may host. */
export const MAX_NODES = 10000;
