// SPDX-License-Identifier: Apache-2.0
/**
 * Installs CustomResourceDefinitions into a test API server and waits until they are served:
 * a CRD is only usable once its Established condition is True (and NamesAccepted, or the
 * server refused a plural or short name).
 */
import type { Rest } from "./rest.js";
import { waitFor } from "@relaylab/node/wait";

const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

interface CrdStatus {
  status?: { conditions?: { type: string; status: string; message?: string }[] };
}

/** Creates each CRD (as the given client's identity) and resolves once all are Established. */
export async function installCrds(rest: Rest, crds: readonly { metadata: { name: string } }[]): Promise<void> {
  for (const crd of crds) await rest.create(CRDS, crd);
  for (const crd of crds) {
    await waitFor(`CRD ${crd.metadata.name} to be Established`, async () => {
      const conditions = (await rest.get<CrdStatus>(`${CRDS}/${crd.metadata.name}`)).status?.conditions ?? [];
      const names = conditions.find((c) => c.type === "NamesAccepted");
      if (names?.status === "False") throw new Error(`names of ${crd.metadata.name} not accepted: ${names.message ?? ""}`);
      return conditions.some((c) => c.type === "Established" && c.status === "True") ? true : undefined;
    });
  }
}
