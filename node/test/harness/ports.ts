// SPDX-License-Identifier: Apache-2.0
import { createServer, type Server } from "node:net";

/**
 * Ports are drawn from below Linux's ephemeral range (32768–60999 by default), where the kernel picks the
 * local ports of outgoing connections: a port found free there can be taken by any process's next
 * connection before the node that is to listen on it starts. Below it, only another listener can take it.
 */
const LOW = 20_000;
const HIGH = 32_000;

function listen(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(undefined));
    s.listen(port, "127.0.0.1", () => resolve(s));
  });
}

/** `count` distinct free TCP ports on 127.0.0.1 (all held until every one is known, then released). */
export async function freePorts(count: number): Promise<number[]> {
  const held: Server[] = [];
  const ports = new Set<number>();
  for (let tries = 0; ports.size < count; tries++) {
    if (tries > 50 * count) throw new Error(`found only ${ports.size} of ${count} free ports in ${LOW}-${HIGH}`);
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (ports.has(port)) continue;
    const s = await listen(port);
    if (s === undefined) continue;
    held.push(s);
    ports.add(port);
  }
  await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
  return [...ports];
}

/** Whether a start failed because a node's chosen port was taken in the meantime (the caller retries on fresh ports). */
export const isPortClash = (err: unknown): boolean => err instanceof Error && /EADDRINUSE/.test(err.message);
