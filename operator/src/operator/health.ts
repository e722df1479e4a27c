// SPDX-License-Identifier: Apache-2.0
/** The operator's HTTP endpoint: /healthz (process alive), /readyz (caches synced), /metrics (Prometheus). */
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface HealthServer {
  server: Server;
  /** host:port actually bound (port 0 picks a free one). */
  address: string;
  close(): Promise<void>;
}

export function startHealthServer(listen: string, registry: Registry, isReady: () => boolean): Promise<HealthServer> {
  const m = /^(.*):(\d+)$/.exec(listen);
  if (m?.[1] === undefined || m[2] === undefined) throw new Error(`--listen ${listen} must be host:port, e.g. 0.0.0.0:8080`);
  const host = m[1].replace(/^\[|\]$/g, "");
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else if (path === "/readyz") {
      const ready = isReady();
      res.writeHead(ready ? 200 : 503, { "content-type": "text/plain" }).end(ready ? "ok\n" : "caches not synced\n");
    } else if (path === "/metrics") {
      registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(err instanceof Error ? err.message : "metrics failed"),
      );
    } else {
      res.writeHead(404).end();
    }
  });
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
