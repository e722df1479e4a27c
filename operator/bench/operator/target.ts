// SPDX-License-Identifier: Apache-2.0
/**
 * Where `bench:operator` runs the operator: kwok's fake Nodes, whose pods never run a node (the
 * operator at scale, every node call unanswered), or the real single-node cluster, whose pods run
 * the node image and answer (the operator as users run it, at a size 2 cores hold).
 */
import type { Rest } from "../../test/k8s/harness/rest.js";
import type { Sample } from "../../src/local/scrape.js";

export interface BenchTarget {
  /** What the Subnets run on, for the result: control-plane versions, fake Nodes or images. */
  readonly describe: Readonly<Record<string, unknown>>;
  /** Admin client of the API server. */
  readonly admin: Rest;
  /** DataCenters (already created) the Subnets spread over. */
  readonly dataCenters: readonly string[];
  /** Spec fields every Subnet gets on top of its size (timings for live nodes). */
  readonly subnetSpec: Readonly<Record<string, unknown>>;
  /** Whether the nodes run: a Subnet then settles only once its status reports a round. */
  readonly live: boolean;
  /** kube-apiserver's /metrics. */
  apiMetrics(): Promise<Sample[]>;
  /** The leading operator's /metrics. */
  operatorMetrics(): Promise<Sample[]>;
  /** The leading operator's resident memory now, and the kernel's high-water mark where it can be read (else 0). */
  operatorRss(): Promise<{ rssBytes: number; peakRssBytes: number }>;
  /** Throws when a process the bench depends on died. */
  alive(): void;
  /** The operator's log, JSON lines. */
  log(): Promise<string>;
  stop(): Promise<void>;
}
