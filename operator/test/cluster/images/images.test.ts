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
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { archiveOf, BUILD_DEADLINE_MS, buildImages, imageRef, missingBuildPrerequisite } from "./build.js";
import { CHECKS, IMAGE_NAMES, NONROOT, runCheck, type ImageName } from "./checks.js";
import { unpackOciArchive, type UnpackedImage } from "./oci-archive.js";

const missing = process.env.CI === "true" ? undefined : missingBuildPrerequisite();
if (missing !== undefined) process.stderr.write(`images.test.ts: SKIPPED, ${missing}: the container images are not checked\n`);

describe("container images", { skip: missing, timeout: BUILD_DEADLINE_MS + 10 * 60_000 }, () => {
  const unpacked = new Map<ImageName, UnpackedImage>();
  let scratch = "";

  before(async () => {
    const archives = await buildImages();
    scratch = await mkdtemp(join(tmpdir(), "relaylab-images-test-"));
    for (const name of IMAGE_NAMES) {
      const image = await unpackOciArchive(archiveOf(archives, name), join(scratch, name));
      assert.equal(image.ref, imageRef(name), "the archive names the Dockerfile's tag, which ctr import keeps");
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
