// SPDX-License-Identifier: Apache-2.0
/** The operator's HTTP endpoint: /healthz (process alive), /readyz (caches synced), /metrics (Prometheus). */
import { createServer } from "node:http";
import type { Registry } from "prom-client";
import { type HttpEndpoint, listenOn } from "./listen.js";

export function startHealthServer(listen: string, registry: Registry, isReady: () => boolean): Promise<HttpEndpoint> {
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
  return listenOn(server, listen, "--listen", "0.0.0.0:8080");
}
