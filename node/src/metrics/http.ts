// SPDX-License-Identifier: Apache-2.0
/** HTTP endpoint for Prometheus and probes: /metrics, /healthz (process up), /readyz (DKG done and a beacon accepted). */
import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";

export function metricsServer(registry: Registry, ready: () => boolean): Server {
  return createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/metrics") {
      registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    } else if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else if (path === "/readyz") {
      const ok = ready();
      res.writeHead(ok ? 200 : 503, { "content-type": "text/plain" }).end(ok ? "ready\n" : "not ready: DKG running or no beacon accepted yet\n");
    } else {
      res.writeHead(404).end("not found: try /metrics, /healthz or /readyz\n");
    }
  });
}
