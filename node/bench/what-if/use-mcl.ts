// SPDX-License-Identifier: Apache-2.0
/**
 * Runs the beacon engine and consensus on mcl-wasm without changing them, to measure what the backend would buy:
 * a module resolve hook hands crypto-mcl.ts to every import of src/crypto/index from src/beacon/ and
 * src/consensus/ (the DKG keeps noble). Inherited by the nodes a runner starts:
 *
 *   NODE_OPTIONS="--import tsx --import $PWD/node/bench/what-if/use-mcl.ts" node --import tsx operator/bench/latency.ts --json F
 */
import { register } from "node:module";

const shim = new URL("./crypto-mcl.ts", import.meta.url).href;
const hooks = `
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const fromRounds = /\\/node\\/src\\/(beacon|consensus)\\/[^/]+$/.test(context.parentURL ?? "");
  return fromRounds && /\\/node\\/src\\/crypto\\/index\\.ts$/.test(resolved.url) ? { ...resolved, url: ${JSON.stringify(shim)} } : resolved;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
