// SPDX-License-Identifier: Apache-2.0
/**
 * A node's data directory belongs to exactly one genesis. Beacons, registered groups, key shares
 * and the double-signing guard only mean something for the network they were made in: a node
 * that loaded another network's chain would serve beacons that do not chain from its genesis,
 * and sign on top of them. So the first start writes the genesis hash next to the data, and every
 * later start refuses a directory that names another genesis, or that holds data but names none.
 */
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, writeSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";

/** The binding file: the sha256 of the genesis document, as 64 hex characters and a newline. */
export const GENESIS_BINDING_FILE = "genesis.sha256";

/** Entries that say nothing about a chain: ext4's root of a new volume, and a binding torn by a crash. */
const IGNORED = new Set(["lost+found", `${GENESIS_BINDING_FILE}.tmp`]);

/** The data directory cannot be used with this genesis; the message says what to do. */
export class DataDirError extends Error {
  override readonly name = "DataDirError";
}

/** The hash a genesis is known by: sha256 of the document's bytes, as the operator and runner record it. */
export function genesisDocumentHash(document: string | Uint8Array): string {
  return createHash("sha256").update(document).digest("hex");
}

/**
 * Binds `dir` (which must exist) to `genesisHash`, or checks an earlier binding.
 * Throws DataDirError when the directory belongs to another genesis or holds unbound data.
 */
export function bindDataDir(dir: string, genesisHash: string): void {
  const file = join(dir, GENESIS_BINDING_FILE);
  const bound = readBinding(file);
  if (bound === genesisHash) return;
  if (bound !== undefined) {
    throw new DataDirError(
      `data dir ${dir} holds the chain of genesis ${bound}, not of this --genesis ${genesisHash}; start this genesis on an empty --data-dir (or move ${dir} aside: it is another network's data)`,
    );
  }
  const found = readdirSync(dir).filter((name) => !IGNORED.has(name));
  if (found.length > 0) {
    throw new DataDirError(
      `data dir ${dir} holds ${found.slice(0, 3).join(", ")}${found.length > 3 ? ", …" : ""} but no ${GENESIS_BINDING_FILE}, so its genesis is unknown (this --genesis is ${genesisHash}); start on an empty --data-dir`,
    );
  }
  writeDurably(file, `${genesisHash}\n`);
}

function readBinding(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new DataDirError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const hash = text.trim();
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new DataDirError(`${file} is not a genesis hash (64 hex characters); the data dir is damaged: start on an empty --data-dir`);
  return hash;
}

/**
 * Replaces `file` with `data` so that a crash leaves either the old file or the whole new one, never a torn
 * file: write a temp file next to it, fsync it, rename it over `file`, then fsync the directory so the
 * rename itself survives a power loss. Throws on any failure (the caller decides what failing means).
 */
export function writeDurably(file: string, data: string | Uint8Array, mode = 0o644): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, "w", mode);
  try {
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const dir = openSync(dirname(file), "r");
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
