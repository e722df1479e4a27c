// SPDX-License-Identifier: Apache-2.0
/**
 * The consensus double-signing guard: the highest height this node has signed a notarization or
 * finalization share for, kept in the data dir (`consensus-signed-height`). A restarted node signs
 * nothing at or below it, so it can never sign two blocks at one height across a crash. The file is
 * replaced atomically (writeDurably), and the guard fails closed: a file that exists but cannot be
 * read or parsed stops the node from starting, and a height that cannot be recorded is not signed.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeDurably } from "./data-dir.js";

export const SIGNED_HEIGHT_FILE = "consensus-signed-height";

/** The guard cannot be read or written; the message says what is wrong and what to do. */
export class GuardError extends Error {
  override readonly name = "GuardError";
}

/** The recorded signed height, 0 when this data dir never signed. Throws GuardError when the record is unusable. */
export function readSignedHeight(dataDir: string): bigint {
  const file = join(dataDir, SIGNED_HEIGHT_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0n;
    throw new GuardError(`cannot read the double-signing guard ${file}: ${(err as Error).message}; fix its permissions or storage (the node will not sign without knowing what it signed)`);
  }
  const value = text.trim();
  if (!/^\d{1,20}$/.test(value)) {
    throw new GuardError(
      `the double-signing guard ${file} is damaged (${JSON.stringify(value.slice(0, 24))} is not a height); the node refuses to start because it could sign a height twice: restore the file, or write a height at least the subnet's current finalized height into it`,
    );
  }
  return BigInt(value);
}

/** Records `height` durably; throws (and the caller must then not sign) when it cannot. */
export function recordSignedHeight(dataDir: string, height: bigint): void {
  writeDurably(join(dataDir, SIGNED_HEIGHT_FILE), `${height}\n`);
}
