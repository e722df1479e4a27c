// SPDX-License-Identifier: Apache-2.0
/**
 * Per-file setup of the real-cluster suite: find the binaries once (top-level await, so a host
 * that cannot run the cluster turns into a visible skip, or a failure under CI=true), and one
 * cluster per file, started in `before` and stopped in `after`. The `after` hook fails when the
 * teardown left anything on the host.
 */
import { after, before } from "node:test";
import { Cluster, type ClusterOptions, type StopReport } from "../harness.js";
import { type ClusterLookup, locateClusterBinaries } from "./binaries.js";

/** Cold start on a busy 2-core machine, plus waiting for another suite's cluster to go. */
const START_TIMEOUT_MS = 25 * 60_000;
const STOP_TIMEOUT_MS = 3 * 60_000;

export interface ClusterSuite {
  /** Reason to skip every test of the file, or `false`. */
  readonly skip: string | false;
  /** Registers `before`/`after` hooks in the current describe block; returns a getter valid inside tests. */
  cluster(options?: ClusterOptions): () => Cluster;
}

/** Throws when a teardown left something on the host. */
export function assertClean(report: StopReport): void {
  if (report.leftovers.length > 0) {
    throw new Error(`the cluster's teardown left ${report.leftovers.length} thing(s) on the host:\n  ${report.leftovers.join("\n  ")}`);
  }
}

export async function clusterSuite(): Promise<ClusterSuite> {
  const lookup: ClusterLookup = await locateClusterBinaries();
  return {
    skip: "skip" in lookup ? lookup.skip : false,
    cluster(options) {
      let cluster: Cluster | undefined;
      before(
        async () => {
          if (!("binaries" in lookup)) return;
          cluster = await Cluster.start(lookup.binaries, { ...options, lockTimeoutMs: START_TIMEOUT_MS - 5 * 60_000 });
        },
        { timeout: START_TIMEOUT_MS },
      );
      after(
        async () => {
          if (cluster) assertClean(await cluster.stop());
        },
        { timeout: STOP_TIMEOUT_MS },
      );
      return () => {
        if (!cluster) throw new Error("the cluster is not running (did its before hook fail?)");
        return cluster;
      };
    },
  };
}
