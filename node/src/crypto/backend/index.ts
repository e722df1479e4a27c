// SPDX-License-Identifier: Apache-2.0
/**
 * Crypto backends behind one scheme interface: noble (default, pure TypeScript) and mcl-wasm (optional,
 * WebAssembly). docs/performance.md has the measured difference and the recommendation.
 */
import { createMclBackend } from "./mcl.js";
import { nobleBackend } from "./noble.js";
import type { BackendName, SchemeBackend } from "./types.js";

export type { BackendName, SchemeBackend } from "./types.js";
export { nobleBackend } from "./noble.js";
export { createMclBackend } from "./mcl.js";

/** Every backend name, for flag parsing. */
export const BACKEND_NAMES: readonly BackendName[] = ["noble", "mcl-wasm"];

/** The backend called `name` (mcl-wasm is initialised on first use). */
export function loadBackend(name: BackendName): Promise<SchemeBackend> {
  return name === "noble" ? Promise.resolve(nobleBackend) : createMclBackend();
}
