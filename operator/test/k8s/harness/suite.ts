// SPDX-License-Identifier: Apache-2.0
/**
 * Per-file setup of the real-API-server suite: find the binaries once (top-level await, so a
 * missing toolchain turns into a visible `skip` on the describe block rather than a failure),
 * and one control plane per file, started in `before` and stopped in `after`.
 */
import { after, before } from "node:test";
import { ControlPlane } from "../harness.js";
import { type BinaryLookup, locateBinaries } from "./binaries.js";

/** Cold start on a busy 2-core machine: etcd, apiserver, kcm, scheduler, kwok and CRDs. */
const START_TIMEOUT_MS = 300_000;

export interface K8sSuite {
  /** Reason to skip every test of the file, or `false`. */
  readonly skip: string | false;
  /**
   * Registers `before`/`after` hooks in the current describe block that start and stop one
   * control plane (then run `setup` on it); returns a getter valid inside tests.
   */
  controlPlane(setup?: (plane: ControlPlane) => Promise<void>): () => ControlPlane;
}

/** Locates the binaries (building them if needed); call once per test file at top level. */
export async function k8sSuite(): Promise<K8sSuite> {
  const lookup: BinaryLookup = await locateBinaries();
  return {
    skip: "skip" in lookup ? lookup.skip : false,
    controlPlane(setup) {
      let plane: ControlPlane | undefined;
      before(
        async () => {
          if (!("binaries" in lookup)) return;
          plane = await ControlPlane.start(lookup.binaries);
          await setup?.(plane);
        },
        { timeout: START_TIMEOUT_MS },
      );
      after(async () => {
        await plane?.stop();
      });
      return () => {
        if (!plane) throw new Error("the control plane is not running (did its before hook fail?)");
        return plane;
      };
    },
  };
}
