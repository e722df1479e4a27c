// SPDX-License-Identifier: Apache-2.0
/**
 * The headless Service giving every node a stable DNS name (`<pod>.<subnet>-peers.<ns>.svc`).
 * It publishes not-ready pods too: a node only becomes ready after its group's DKG, which needs
 * its peers' addresses first.
 */
import type { Chart } from "cdk8s";
import type { Subnet } from "../api/index.js";
import { IntOrString, KubeService } from "./imports/k8s.js";
import { LABEL_SUBNET, childMetadata, namedPorts, peersServiceName, subnetMeta } from "./names.js";

export function addPeersService(chart: Chart, subnet: Subnet): KubeService {
  const { name } = subnetMeta(subnet);
  return new KubeService(chart, "peers", {
    metadata: childMetadata(subnet, peersServiceName(name)),
    spec: {
      clusterIp: "None",
      publishNotReadyAddresses: true,
      selector: { [LABEL_SUBNET]: name },
      ports: namedPorts().map(({ name, port }) => ({ name, port, targetPort: IntOrString.fromString(name), protocol: "TCP" })),
    },
  });
}
