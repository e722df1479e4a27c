// SPDX-License-Identifier: Apache-2.0
/**
 * Crypto backends behind one scheme interface: noble (pure TypeScript) and mcl-wasm (WebAssembly, the node's
 * default for round crypto). docs/performance.md has the measured difference.
 */
import { createMclBackend } from "./mcl.js";
import { nobleBackend } from "./noble.js";
import { NOBLE_ROUND_CRYPTO, roundCryptoOn, type RoundCrypto } from "./round.js";
import { BACKEND_NAMES, type BackendName, type SchemeBackend } from "./types.js";

export { BACKEND_NAMES, type BackendName, type SchemeBackend } from "./types.js";
export { nobleBackend } from "./noble.js";
export { createMclBackend } from "./mcl.js";
export { NOBLE_ROUND_CRYPTO, roundCryptoOn, type RoundCrypto } from "./round.js";

/** The backend a node uses for round crypto unless told otherwise. */
export const DEFAULT_BACKEND: BackendName = "mcl-wasm";

/** True when `value` names a backend (flag parsing). */
export function isBackendName(value: string): value is BackendName {
  return BACKEND_NAMES.some((n) => n === value);
}

/** The backend called `name` (mcl-wasm is initialised on first use). */
export function loadBackend(name: BackendName): Promise<SchemeBackend> {
  return name === "noble" ? Promise.resolve(nobleBackend) : createMclBackend();
}

/** Round crypto on the backend called `name`; create it once per process (node start) and pass it down. */
export async function loadRoundCrypto(name: BackendName): Promise<RoundCrypto> {
  return name === "noble" ? NOBLE_ROUND_CRYPTO : roundCryptoOn(await loadBackend(name));
}
