// SPDX-License-Identifier: Apache-2.0
/**
 * The node and operator images, built from node/Dockerfile and operator/Dockerfile by build.sh
 * (`npm run images:offline`; a no-op while the cached archives are current), run from their OCI
 * archives as a restricted pod runs them: runc, uid 65532, read-only root filesystem. Each
 * entrypoint's --version prints its package.json version; the images hold compiled JavaScript and
 * no tsx. Needs root, buildah, debootstrap and runc: skipped (loudly) without them, except under
 * CI=true, where .ci/run installs them and a missing one fails.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CHECKS, IMAGE_NAMES, NONROOT, packageVersion, repoRoot, runCheck, type ImageName } from "./checks.js";
import { unpackOciArchive, type UnpackedImage } from "./oci-archive.js";

const BUILD = join(repoRoot, "operator/test/cluster/images/build.sh");
// A cold build (debootstrap, npm ci in four stages, tsc) takes 5–10 minutes on 2 busy cores.
const BUILD_DEADLINE_MS = 40 * 60_000;

function missingPrerequisite(): string | undefined {
  if (process.getuid?.() !== 0) return "not root";
  for (const tool of ["buildah", "debootstrap", "runc"]) {
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    } catch {
      return `${tool} is not installed (apt-get install buildah debootstrap runc)`;
    }
  }
  return undefined;
}

const missing = process.env.CI === "true" ? undefined : missingPrerequisite();
if (missing !== undefined) process.stderr.write(`images.test.ts: SKIPPED, ${missing}: the container images are not checked\n`);

/** Runs build.sh; resolves to the archive of each image reference it printed. */
async function buildImages(): Promise<Map<string, string>> {
  const child = spawn("bash", [BUILD], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  assert.equal(code, 0, `build.sh failed:\n${stderr.split("\n").slice(-15).join("\n")}`);
  const archives = new Map<string, string>();
  for (const line of stdout.trim().split("\n")) {
    const [ref, archive] = line.split("\t");
    if (ref !== undefined && archive !== undefined) archives.set(ref, archive);
  }
  return archives;
}

describe("container images", { skip: missing, timeout: BUILD_DEADLINE_MS + 10 * 60_000 }, () => {
  const unpacked = new Map<ImageName, UnpackedImage>();
  let scratch = "";

  before(async () => {
    const archives = await buildImages();
    scratch = await mkdtemp(join(tmpdir(), "relaylab-images-test-"));
    for (const name of IMAGE_NAMES) {
      const ref = `ghcr.io/relaylab/${name}:${packageVersion(name)}`;
      const archive = archives.get(ref);
      assert.ok(archive !== undefined && existsSync(archive), `build.sh printed no archive for ${ref}`);
      const image = await unpackOciArchive(archive, join(scratch, name));
      assert.equal(image.ref, ref, "the archive names the Dockerfile's tag, which ctr import keeps");
      unpacked.set(name, image);
    }
  }, { timeout: BUILD_DEADLINE_MS });

  after(async () => {
    if (scratch !== "") await rm(scratch, { recursive: true, force: true });
  });

  for (const name of IMAGE_NAMES) {
    describe(`${name} image`, () => {
      const image = (): UnpackedImage => {
        const i = unpacked.get(name);
        assert.ok(i !== undefined, `${name} image was not unpacked`);
        return i;
      };

      it("runs as nonroot, compiled JavaScript only: no tsx, no TypeScript sources", async () => {
        const { rootfs, config } = image();
        assert.equal(config.user, `${String(NONROOT)}:${String(NONROOT)}`);
        assert.deepEqual(config.entrypoint.slice(0, 2), ["/nodejs/bin/node", "--conditions=production"]);
        assert.equal(existsSync(join(rootfs, "app/node_modules/tsx")), false, "tsx is in the image");
        assert.ok(existsSync(join(rootfs, `app/${name}/dist`)), `app/${name}/dist is missing`);
        assert.equal(existsSync(join(rootfs, `app/${name}/src`)), false, `app/${name}/src is in the image`);
        assert.ok(!(await readdir(join(rootfs, "app/node/dist"))).some((f) => f.endsWith(".ts")), "TypeScript files in node/dist");
        if (name === "operator") {
          // npm installs these under operator/node_modules, not the root's: the operator needs that folder.
          assert.ok(existsSync(join(rootfs, "app/operator/node_modules/@kubernetes/client-node/package.json")), "operator/node_modules is missing");
        }
      });

      for (const check of CHECKS[name]) {
        it(`${check.what} (runc, uid ${String(NONROOT)}, read-only root)`, async () => {
          const { rootfs, config } = image();
          const result = await runCheck(rootfs, config, check);
          check.expect(result);
        });
      }
    });
  }
});
