// SPDX-License-Identifier: Apache-2.0
/**
 * What a Subnet reconcile reads and derives before it applies anything: the Subnet's keys, its
 * genesis and its children.
 *
 * - The keys: the operator is the only writer of a Subnet's Secret, so it keeps what it last read
 *   or wrote and reads the Secret again only when that is older than `maxAgeMs` (a minute, as for
 *   drift repair: an edit behind its back is seen as soon) or lacks a key. No informer: list and
 *   watch on Secrets would let the operator read every Secret of the cluster, where GET needs a
 *   name. A key is generated only right after a GET has shown it missing, since a key generated
 *   twice would give a node a second identity and the Subnet a new genesis.
 * - Deriving costs an ed25519 public key per node, a genesis validation and a cdk8s synth, while
 *   its inputs change only with the spec, the placement, the data centers or the keys. The result
 *   is kept per Subnet and reused while a digest of every input is unchanged.
 */
import { createHash } from "node:crypto";
import type { Clock } from "@relaylab/node/clock";
import type { KubeApi, KubeObject } from "../runtime/kube.js";
import { identitySecretName, type SubnetKeys } from "../../resources/index.js";
import { REAPPLY_MS } from "./applied.js";
import { decodeIdentitySecret, decodeSubnetKeys } from "../../resources/index.js";
import { ensureIdentityKeys, ensureSubnetKeys } from "./identity.js";

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

/** The Subnets' Secret data as this operator last read or wrote it (see the header). */
export class StoredSecrets {
  readonly #clock: Clock;
  readonly #maxAgeMs: number;
  readonly #bySubnet = new Map<string, { data: Readonly<Record<string, string>> | undefined; at: number }>();

  constructor(clock: Clock, maxAgeMs = REAPPLY_MS) {
    this.#clock = clock;
    this.#maxAgeMs = maxAgeMs;
  }

  /** The stored keys of Subnet `key`, plus fresh ones for whatever a GET showed missing. */
  async read(api: KubeApi, key: string, namespace: string, subnet: string, nodes: number): Promise<StoredKeys> {
    const kept = this.#bySubnet.get(key);
    let data = kept?.data;
    if (kept === undefined || this.#clock.now() - kept.at >= this.#maxAgeMs || !complete(data, nodes)) {
      data = (await api.get<SecretObject>({ apiVersion: "v1", kind: "Secret", namespace, name: identitySecretName(subnet) }))?.data;
      this.#bySubnet.set(key, { data, at: this.#clock.now() });
    }
    const identity = ensureIdentityKeys(decodeIdentitySecret(data), nodes);
    const keys = ensureSubnetKeys(decodeSubnetKeys(data));
    return { identity: identity.keys, subnet: keys.keys, generated: identity.generated + keys.generated };
  }

  /** Records the data of a Secret just applied. */
  wrote(key: string, secret: SecretObject): void {
    this.#bySubnet.set(key, { data: secret.data, at: this.#clock.now() });
  }

  forget(key: string): void {
    this.#bySubnet.delete(key);
  }
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
