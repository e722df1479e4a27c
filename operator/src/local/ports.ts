// SPDX-License-Identifier: Apache-2.0
import { createServer } from "node:net";

/**
 * Reserves `count` distinct free TCP ports on 127.0.0.1. Genesis must name every node's address
 * before any node starts, so ports are chosen up front: all sockets are held open until every
 * port is known, so the kernel cannot hand the same port out twice within one call.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<import("node:net").Server>((resolve, reject) => {
        const s = createServer();
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => resolve(s));
      }),
    ),
  );
  const ports = servers.map((s) => {
    const addr = s.address();
    if (addr === null || typeof addr === "string") throw new Error("could not read a bound port");
    return addr.port;
  });
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}
