// SPDX-License-Identifier: Apache-2.0
/** The operator's release: `version` of operator/package.json (src/ and the compiled dist/ both sit one level below it). */
import { createRequire } from "node:module";

export const VERSION = (createRequire(import.meta.url)("../package.json") as { version: string }).version;
