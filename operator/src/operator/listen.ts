// SPDX-License-Identifier: Apache-2.0
/** Binding the operator's HTTP endpoints (health and metrics, the key service) to a host:port flag. */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface HttpEndpoint {
  readonly server: Server;
  /** host:port actually bound (port 0 picks a free one). */
  readonly address: string;
  close(): Promise<void>;
}

/** Listens on `listen` (host:port, IPv6 hosts in brackets); `flag` names the setting in the error. */
export function listenOn(server: Server, listen: string, flag: string, example: string): Promise<HttpEndpoint> {
  const m = /^(.*):(\d+)$/.exec(listen);
  if (m?.[1] === undefined || m[2] === undefined) return Promise.reject(new Error(`${flag} ${listen} must be host:port, e.g. ${example}`));
  const host = m[1].replace(/^\[|\]$/g, "");
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(m[2]), host, () => {
      const a = server.address() as AddressInfo;
      resolve({
        server,
        address: `${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
