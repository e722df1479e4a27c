// SPDX-License-Identifier: Apache-2.0
/**
 * Images reach the node as OCI archives (what `buildah push oci-archive:` writes and
 * bin/build.sh writes for the pause and probe images), imported into containerd's `k8s.io`
 * namespace, where the kubelet's CRI calls find them. There is no registry: pods that use them
 * need `imagePullPolicy: Never` or `IfNotPresent`.
 */
import { sh } from "./host.js";

interface OciIndex {
  readonly manifests?: readonly { readonly annotations?: Readonly<Record<string, string>> }[];
}

/** The image names an OCI archive carries (containerd's name annotation, else the OCI ref name). */
export async function archiveImageNames(archive: string): Promise<string[]> {
  let index: OciIndex;
  try {
    index = JSON.parse(await sh("tar", ["-xOf", archive, "index.json"])) as OciIndex;
  } catch (e) {
    throw new Error(`${archive} is not an OCI archive with an index.json: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const names = (index.manifests ?? [])
    .map((m) => m.annotations?.["io.containerd.image.name"] ?? m.annotations?.["org.opencontainers.image.ref.name"])
    .filter((n): n is string => n !== undefined && /[/:]/.test(n));
  if (names.length === 0) throw new Error(`${archive} names no image: push it with a full name (oci-archive:${archive}:registry/name:tag)`);
  return names;
}

/**
 * Imports each archive and checks that containerd lists its images afterwards; resolves to the
 * image names, in order.
 */
export async function importImages(ctr: string, socket: string, archives: readonly string[]): Promise<string[]> {
  const base = ["--address", socket, "--namespace", "k8s.io"];
  const names: string[] = [];
  for (const archive of archives) {
    const expected = await archiveImageNames(archive);
    await sh(ctr, [...base, "images", "import", archive]);
    names.push(...expected);
  }
  const listed = new Set((await sh(ctr, [...base, "images", "list", "--quiet"])).split("\n"));
  const absent = names.filter((n) => !listed.has(n));
  if (absent.length > 0) throw new Error(`containerd does not list ${absent.join(", ")} after importing ${archives.join(", ")}`);
  return names;
}
