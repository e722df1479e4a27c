// SPDX-License-Identifier: Apache-2.0
/** API group and version of relaylab's custom resources. */
export const GROUP = "relaylab.dev";
export const VERSION = "v1alpha1";
/** `apiVersion` field value of every relaylab object. */
export const API_VERSION = `${GROUP}/${VERSION}`;
