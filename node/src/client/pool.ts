// SPDX-License-Identifier: Apache-2.0
/** NodeClients kept per address, for callers that talk to many nodes over time (the operator's reconciles). */
import { NodeClient, type NodeAddresses, type NodeClientOptions } from "./node-client.js";

export class NodeClientPool {
  readonly #clients = new Map<string, NodeClient>();
  readonly #options: NodeClientOptions;

  constructor(options: NodeClientOptions = {}) {
    this.#options = options;
  }

  /** The client for these addresses, opened on first use. */
  get(addresses: NodeAddresses): NodeClient {
    const key = `${addresses.public ?? ""}|${addresses.control ?? ""}`;
    let client = this.#clients.get(key);
    if (client === undefined) {
      client = new NodeClient(addresses, this.#options);
      this.#clients.set(key, client);
    }
    return client;
  }

  /** Closes every client (call on shutdown). */
  close(): void {
    for (const c of this.#clients.values()) c.close();
    this.#clients.clear();
  }
}
