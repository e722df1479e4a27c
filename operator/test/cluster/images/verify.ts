// SPDX-License-Identifier: Apache-2.0
/**
 * Checks an image archive before build.sh keeps it (checks.ts), or reports its size.
 *   node --import tsx verify.ts node|operator ARCHIVE   progress on stdout; exit 1 with one line on failure
 *   node --import tsx verify.ts --size ARCHIVE          prints "<unpacked bytes> <stored layer bytes>"
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHECKS, IMAGE_NAMES, NONROOT, runCheck, type ImageName } from "./checks.js";
import { imageSizes, unpackOciArchive } from "./oci-archive.js";

const isImageName = (s: string | undefined): s is ImageName => IMAGE_NAMES.some((n) => n === s);

async function verify(name: ImageName, archive: string, scratch: string): Promise<void> {
  const { ref, rootfs, config } = await unpackOciArchive(archive, scratch);
  if (config.user !== `${String(NONROOT)}:${String(NONROOT)}`) throw new Error(`${ref}: image user is '${config.user}', want ${String(NONROOT)}:${String(NONROOT)}`);
  for (const check of CHECKS[name]) {
    const result = await runCheck(rootfs, config, check);
    try {
      check.expect(result);
    } catch (err) {
      throw new Error(`${ref}: ${check.what}: ${(err as Error).message}`, { cause: err });
    }
    process.stdout.write(`  ${ref}: ${check.what}: ok\n`);
  }
}

async function main(argv: string[]): Promise<number> {
  const [what, archive] = argv;
  if (archive === undefined || (what !== "--size" && !isImageName(what))) {
    process.stderr.write(`usage: verify.ts ${IMAGE_NAMES.join("|")}|--size ARCHIVE\n`);
    return 2;
  }
  const scratch = await mkdtemp(join(tmpdir(), "relaylab-image-"));
  try {
    if (what === "--size") {
      const { unpacked, stored } = await imageSizes(archive);
      process.stdout.write(`${String(unpacked)} ${String(stored)}\n`);
    } else await verify(what, archive, scratch);
    return 0;
  } catch (err) {
    process.stderr.write(`verify: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

process.exitCode = await main(process.argv.slice(2));
