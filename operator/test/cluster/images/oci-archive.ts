// SPDX-License-Identifier: Apache-2.0
/**
 * Reads an OCI image archive (`buildah push IMAGE oci-archive:FILE:REF`) the way a container
 * runtime would: index → manifest → config, and the layers unpacked in order into a root
 * filesystem. Tar does the unpacking (root keeps owners and modes).
 */
import { execFile, spawn } from "node:child_process";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createGunzip } from "node:zlib";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The parts of an image's config that decide how its entrypoint runs. */
export interface ImageConfig {
  entrypoint: string[];
  cmd: string[];
  env: string[];
  workingDir: string;
  user: string;
}

export interface UnpackedImage {
  /** The image reference the archive names (org.opencontainers.image.ref.name). */
  ref: string;
  rootfs: string;
  config: ImageConfig;
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

interface Manifest {
  ref: string;
  config: Descriptor;
  layers: Descriptor[];
}

const blobPath = (d: Descriptor): string => `blobs/${d.digest.replace(":", "/")}`;

/** One file of the archive, without unpacking the rest. */
async function member(archive: string, path: string): Promise<string> {
  return (await run("tar", ["-xOf", archive, path], { maxBuffer: 64 * 1024 * 1024 })).stdout;
}

async function manifestOf(archive: string): Promise<Manifest> {
  const index = JSON.parse(await member(archive, "index.json")) as { manifests?: Descriptor[] };
  const [entry, ...more] = index.manifests ?? [];
  if (entry === undefined || more.length > 0) throw new Error(`expected one image in ${archive}, found ${String(index.manifests?.length ?? 0)}`);
  const manifest = JSON.parse(await member(archive, blobPath(entry))) as { config: Descriptor; layers: Descriptor[] };
  return { ref: entry.annotations?.["org.opencontainers.image.ref.name"] ?? "", ...manifest };
}

/** Bytes of a layer once decompressed: the size of its tar stream, close to its size on disk. */
async function unpackedLayerBytes(archive: string, layer: Descriptor): Promise<number> {
  const tar = spawn("tar", ["-xOf", archive, blobPath(layer)], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<number | null>((resolve) => tar.once("close", resolve));
  let bytes = 0;
  const stream = layer.mediaType?.endsWith("+gzip") === true ? tar.stdout.pipe(createGunzip()) : tar.stdout;
  for await (const chunk of stream) bytes += (chunk as Buffer).length;
  if ((await exited) !== 0) throw new Error(`cannot read ${blobPath(layer)} from ${archive}`);
  return bytes;
}

/** The image's size unpacked (as `docker images` counts it) and as stored in the archive (its layers). */
export async function imageSizes(archive: string): Promise<{ unpacked: number; stored: number }> {
  const { layers } = await manifestOf(archive);
  let unpacked = 0;
  for (const layer of layers) unpacked += await unpackedLayerBytes(archive, layer);
  return { unpacked, stored: layers.reduce((sum, l) => sum + l.size, 0) };
}

/** Unpacks `archive` into `dir`/rootfs (`dir` is scratch space the caller removes). */
export async function unpackOciArchive(archive: string, dir: string): Promise<UnpackedImage> {
  const { ref, config, layers } = await manifestOf(archive);
  const layout = join(dir, "layout");
  const rootfs = join(dir, "rootfs");
  await mkdir(layout, { recursive: true });
  await mkdir(rootfs);
  await run("tar", ["-xf", archive, "-C", layout]);
  for (const layer of layers) {
    const blob = join(layout, blobPath(layer));
    const { stdout } = await run("tar", ["-tf", blob], { maxBuffer: 256 * 1024 * 1024 });
    // Whiteouts delete files of lower layers; these images have none, and a runtime-faithful
    // reading of them is more than this check needs. Say so rather than unpack wrongly.
    const whiteout = stdout.split("\n").find((p) => /(^|\/)\.wh\./.test(p));
    if (whiteout !== undefined) throw new Error(`layer ${layer.digest} has a whiteout (${whiteout}): not supported here`);
    await run("tar", ["-xf", blob, "-C", rootfs, "--same-owner", "--same-permissions"]);
  }
  const { config: c } = JSON.parse(await readFile(join(layout, blobPath(config)), "utf8")) as {
    config?: { Entrypoint?: string[]; Cmd?: string[]; Env?: string[]; WorkingDir?: string; User?: string };
  };
  return {
    ref,
    rootfs,
    config: { entrypoint: c?.Entrypoint ?? [], cmd: c?.Cmd ?? [], env: c?.Env ?? [], workingDir: c?.WorkingDir ?? "/", user: c?.User ?? "" },
  };
}
