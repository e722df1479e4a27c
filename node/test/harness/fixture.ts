// SPDX-License-Identifier: Apache-2.0
import { after, before } from "node:test";
import type { FaultSet } from "../../src/gen/relaylab/v1/control.js";
import { ProcessCluster, type ClusterOptions } from "./cluster.js";
import { isPortClash } from "./ports.js";
import { createTestnet, type Testnet, type TestnetSpec } from "./testnet.js";

/** A testnet whose nodes all run as processes for the enclosing suite (or file); filled in by the before hook. */
export interface ProcessFixture {
  readonly net: Testnet;
  readonly cluster: ProcessCluster;
}

export interface FixtureOptions extends ClusterOptions {
  /** Initial faults per node index (passed with --faults). */
  readonly faults?: ReadonlyMap<number, FaultSet>;
  /** Runs inside the same before hook once every node listens (hooks of one level may not run in order). */
  readonly ready?: (fixture: ProcessFixture) => Promise<void>;
}

/** Registers before/after hooks that start every node of a fresh testnet and always stop them and clean up. */
export function useProcessTestnet(spec: TestnetSpec, options: FixtureOptions = {}): ProcessFixture {
  let net: Testnet | undefined;
  let cluster: ProcessCluster | undefined;
  before(async () => {
    // The genesis names every node's port before the nodes start, so another process may take one in
    // between; a node that cannot listen exits at once, and the testnet starts again on fresh ports.
    for (let attempt = 1; ; attempt++) {
      net = await createTestnet(spec);
      cluster = new ProcessCluster(net, options);
      try {
        await cluster.startAll(options.faults);
        break;
      } catch (err) {
        await cluster.stopAll();
        net.remove();
        if (!isPortClash(err) || attempt === 3) throw err;
      }
    }
    await options.ready?.(fixture);
  });
  after(async () => {
    await cluster?.stopAll();
    net?.remove();
  });
  const fixture: ProcessFixture = {
    get net(): Testnet {
      if (net === undefined) throw new Error("testnet used before its before hook ran");
      return net;
    },
    get cluster(): ProcessCluster {
      if (cluster === undefined) throw new Error("cluster used before its before hook ran");
      return cluster;
    },
  };
  return fixture;
}
