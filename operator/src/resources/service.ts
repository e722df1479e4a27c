// SPDX-License-Identifier: Apache-2.0
/**
 * The headless Service giving every node a stable DNS name (`<pod>.<subnet>-peers.<ns>.svc`).
 * It publishes not-ready pods too: a node only becomes ready after its group's DKG, which needs
 * its peers' addresses first.
 */
import { ApiObject } from "cdk8s";
import type { Chart } from "cdk8s";
import type { Subnet } from "../api/index.js";
import { LABEL_SUBNET, commonLabels, namedPorts, ownerReference, peersServiceName, subnetMeta } from "./names.js";

export function addPeersService(chart: Chart, subnet: Subnet): ApiObject {
  const { name, namespace } = subnetMeta(subnet);
  return new ApiObject(chart, "peers", {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: peersServiceName(name), namespace, labels: commonLabels(name), ownerReferences: [ownerReference(subnet)] },
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: { [LABEL_SUBNET]: name },
      ports: namedPorts().map(({ name, port }) => ({ name, port, targetPort: name, protocol: "TCP" })),
    },
  });
}
