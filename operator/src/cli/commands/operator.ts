// SPDX-License-Identifier: Apache-2.0
import type { Command } from "commander";
import { runOperator } from "../../operator/main.js";
import { parseCount } from "../errors.js";

interface OperatorFlags {
  listen: string;
  namespace?: string;
  leaseNamespace?: string;
  leaderElection: boolean;
  workers: number;
}

/** `relaylab operator`: reconcile Subnets and DataCenters, in-cluster or from KUBECONFIG. */
export function registerOperator(program: Command): void {
  program
    .command("operator")
    .description("run the Kubernetes operator (in-cluster, or from KUBECONFIG) until SIGTERM")
    .option("--listen <HOST:PORT>", "address of /healthz, /readyz and /metrics", "0.0.0.0:8080")
    .option("--namespace <NS>", "watch Subnets in this namespace only (default: all)")
    .option("--lease-namespace <NS>", "namespace of the leader-election Lease (default: the pod's)")
    .option("--no-leader-election", "run without leader election (a single replica)")
    .option("--workers <N>", "workers per controller", parseCount("--workers", 1), 2)
    .action(async (flags: OperatorFlags) => {
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGTERM", onSignal);
      process.once("SIGINT", onSignal);
      try {
        await runOperator({
          listen: flags.listen,
          leaderElection: flags.leaderElection,
          workers: flags.workers,
          signal: stop.signal,
          ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}),
          ...(flags.leaseNamespace !== undefined ? { leaseNamespace: flags.leaseNamespace } : {}),
        });
      } finally {
        process.off("SIGTERM", onSignal);
        process.off("SIGINT", onSignal);
      }
    });
}
