// SPDX-License-Identifier: Apache-2.0
/**
 * Runs the beacon engine on mcl-wasm without changing it, to measure what the backend would buy: a module
 * resolve hook hands crypto-mcl.ts to every import of src/crypto/index from src/beacon/. Inherited by the nodes a
 * runner starts:
 *
 *   NODE_OPTIONS="--import tsx --import $PWD/node/bench/what-if/use-mcl.ts" node --import tsx operator/bench/latency.ts --json F
 */
import { register } from "node:module";

const shim = new URL("./crypto-mcl.ts", import.meta.url).href;
const hooks = `
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const fromBeacon = /\\/node\\/src\\/beacon\\/[^/]+$/.test(context.parentURL ?? "");
  return fromBeacon && /\\/node\\/src\\/crypto\\/index\\.ts$/.test(resolved.url) ? { ...resolved, url: ${JSON.stringify(shim)} } : resolved;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
