// SPDX-License-Identifier: Apache-2.0
/** NodeClients kept per address, for callers that talk to many nodes over time (the operator's reconciles). */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { NodeClient, type ControlAuth, type NodeAddresses, type NodeClientOptions } from "./node-client.js";

export class NodeClientPool {
  readonly #clients = new Map<string, NodeClient>();
  readonly #options: NodeClientOptions;

  constructor(options: NodeClientOptions = {}) {
    this.#options = options;
  }

  /** The client for these addresses (signing control calls with `controlAuth`), opened on first use. */
  get(addresses: NodeAddresses, controlAuth?: ControlAuth): NodeClient {
    const auth = controlAuth === undefined ? "" : `${controlAuth.node}@${bytesToHex(sha256(controlAuth.secretKey))}`;
    // The certificate is part of the key: a Subnet rebuilt with new keys at the same addresses needs new channels.
    const pin = addresses.certificate === undefined ? "" : bytesToHex(sha256(new TextEncoder().encode(addresses.certificate)));
    const key = `${addresses.public ?? ""}|${addresses.control ?? ""}|${auth}|${pin}`;
    let client = this.#clients.get(key);
    if (client === undefined) {
      client = new NodeClient(addresses, { ...this.#options, ...(controlAuth !== undefined ? { controlAuth } : {}) });
      this.#clients.set(key, client);
    }
    return client;
  }

  /** Closes and drops the clients whose addresses `match` (e.g. every node of a deleted testnet); returns how many. */
  closeWhere(match: (addresses: NodeAddresses) => boolean): number {
    let closed = 0;
    for (const [key, client] of this.#clients) {
      if (!match(client.addresses)) continue;
      client.close();
      this.#clients.delete(key);
      closed++;
    }
    return closed;
  }

  /** Closes every client (call on shutdown). */
  close(): void {
    for (const c of this.#clients.values()) c.close();
    this.#clients.clear();
  }
}
