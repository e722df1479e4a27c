// SPDX-License-Identifier: Apache-2.0
/**
 * What a Subnet reconcile reads and derives before it applies anything: the Subnet's keys, its
 * genesis and its children.
 *
 * - The keys come from the informer's copy of the Subnet's Secret, so a steady-state reconcile
 *   sends the API server no read. A key is generated only after a GET has confirmed it missing:
 *   the cache may not show this operator's own last write yet, and a key generated twice would
 *   give a node a second identity and the Subnet a new genesis.
 * - Deriving costs an ed25519 public key per node, a genesis validation and a cdk8s synth, while
 *   its inputs change only with the spec, the placement, the data centers or the keys. The result
 *   is kept per Subnet and reused while a digest of every input is unchanged.
 */
import { createHash } from "node:crypto";
import type { ObjectCache } from "../runtime/informer.js";
import type { KubeApi, KubeObject } from "../runtime/kube.js";
import { identitySecretName, type SubnetKeys } from "../../resources/index.js";
import { decodeIdentitySecret, decodeSubnetKeys, ensureIdentityKeys, ensureSubnetKeys } from "./identity.js";

export interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

export interface StoredKeys {
  /** Identity secret keys by node index (indices above the node count are kept). */
  readonly identity: ReadonlyMap<number, string>;
  readonly subnet: SubnetKeys;
  /** Keys this read generated: the Secret must be written before any genesis names them. */
  readonly generated: number;
}

/** Whether a Secret's data holds every key a Subnet of `nodes` nodes needs. */
function complete(data: Readonly<Record<string, string>> | undefined, nodes: number): boolean {
  const identity = decodeIdentitySecret(data);
  const subnet = decodeSubnetKeys(data);
  if (subnet.service === undefined || subnet.control === undefined) return false;
  for (let i = 0; i < nodes; i++) if (!identity.has(i)) return false;
  return true;
}

/** The Subnet's stored keys, plus fresh ones for whatever is missing (see the header for why a GET precedes generation). */
export async function readKeys(api: KubeApi, secrets: ObjectCache<SecretObject>, namespace: string, subnet: string, nodes: number): Promise<StoredKeys> {
  const name = identitySecretName(subnet);
  let data = secrets.get(`${namespace}/${name}`)?.data;
  if (!complete(data, nodes)) data = (await api.get<SecretObject>({ apiVersion: "v1", kind: "Secret", namespace, name }))?.data;
  const identity = ensureIdentityKeys(decodeIdentitySecret(data), nodes);
  const keys = ensureSubnetKeys(decodeSubnetKeys(data));
  return { identity: identity.keys, subnet: keys.keys, generated: identity.generated + keys.generated };
}

/** A value derived from some inputs, kept per Subnet and recomputed only when a digest of the inputs changes. */
export class DerivedCache<V> {
  readonly #bySubnet = new Map<string, { digest: string; value: V }>();
  /** `inputs` must be JSON-serialisable and hold everything `derive` reads. */
  get(subnet: string, inputs: unknown, derive: () => V): V {
    const digest = createHash("sha256").update(JSON.stringify(inputs)).digest("hex");
    const kept = this.#bySubnet.get(subnet);
    if (kept?.digest === digest) return kept.value;
    const value = derive();
    this.#bySubnet.set(subnet, { digest, value });
    return value;
  }

  forget(subnet: string): void {
    this.#bySubnet.delete(subnet);
  }
}
