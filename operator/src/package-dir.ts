// SPDX-License-Identifier: Apache-2.0
/**
 * The operator package's directory, for the files it ships beside its code (examples/). Found from this module's
 * own URL: src/, the compiled dist/ and a checkout's bundle in .cache/ all sit one level below the package.
 */
import { fileURLToPath } from "node:url";

export const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
