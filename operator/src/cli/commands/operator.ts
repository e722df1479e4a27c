// SPDX-License-Identifier: Apache-2.0
import type { Command } from "commander";
import { DEFAULT_IDENTITY_URL, DEFAULT_NODE_IMAGE, DEFAULT_OPERATOR_PEER } from "../../resources/index.js";
import { parseCount, UsageError } from "../errors.js";

interface OperatorFlags {
  listen: string;
  identityListen: string;
  identityUrl: string;
  namespace?: string;
  leaseNamespace?: string;
  leaderElection: boolean;
  workers: number;
  nodeImage: string;
  nodeImagePullSecret: string[];
  podMonitors: boolean;
  podMonitorLabel: Record<string, string>;
  networkPolicies: boolean;
  operatorPodLabel?: Record<string, string>;
}

/** Kubernetes label keys: an optional DNS prefix, then a name of at most 63 characters. */
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Collects a repeated `--<flag> KEY=VALUE` label flag, or explains what is wrong with one. */
function labelFlag(flag: string): (value: string, labels: Record<string, string> | undefined) => Record<string, string> {
  return (value, labels) => {
    const at = value.indexOf("=");
    const [key, label] = at < 0 ? [value, undefined] : [value.slice(0, at), value.slice(at + 1)];
    if (label === undefined || !LABEL_KEY.test(key) || !LABEL_VALUE.test(label)) throw new UsageError(`--${flag} must be KEY=VALUE with a Kubernetes label key and value, got '${value}'`);
    return { ...labels, [key]: label };
  };
}

const collect = (value: string, list: string[]): string[] => [...list, value];

function identityUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--identity-url must be an http(s) URL, got '${value}'`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--identity-url must be an http(s) URL, got '${value}'`);
  return value;
}

/** `relaylab operator`: reconcile Subnets and DataCenters, in-cluster or from KUBECONFIG. */
export function registerOperator(program: Command): void {
  program
    .command("operator")
    .description("run the Kubernetes operator (in-cluster, or from KUBECONFIG) until SIGTERM")
    .option("--listen <HOST:PORT>", "address of /healthz, /readyz and /metrics", "0.0.0.0:8080")
    .option("--identity-listen <HOST:PORT>", "address of the key service, from which node pods fetch their identity keys", "0.0.0.0:8081")
    .option("--identity-url <URL>", "the key service as node pods reach it (the operator's Service)", DEFAULT_IDENTITY_URL)
    .option("--namespace <NS>", "manage Subnets in this namespace only, with a Role there (default: all)")
    .option("--lease-namespace <NS>", "namespace of the leader-election Lease (default: the pod's)")
    .option("--no-leader-election", "run without leader election (a single replica)")
    .option("--workers <N>", "workers per controller", parseCount("--workers", 1), 2)
    .option("--node-image <IMAGE>", "node image of the Subnets that set no spec.image", DEFAULT_NODE_IMAGE)
    .option("--node-image-pull-secret <NAME>", "Secret in each Subnet's namespace to pull the node image with (repeatable)", collect, [])
    .option("--no-pod-monitors", "build no per-Subnet PodMonitor (node scraping is configured elsewhere, e.g. by the chart's own PodMonitor)")
    .option("--pod-monitor-label <KEY=VALUE>", "label on every PodMonitor, e.g. release=kube-prometheus-stack (repeatable)", labelFlag("pod-monitor-label"), {})
    .option("--no-network-policies", "build no per-Subnet NetworkPolicy (by default only the operator may reach a node's control port, and only the Subnet's own nodes, the operator and pods labelled relaylab.dev/client=true its peer port)")
    .option(
      "--operator-pod-label <KEY=VALUE>",
      `a label of the operator's own pods, which the NetworkPolicies let in (repeatable; default: ${Object.entries(DEFAULT_OPERATOR_PEER.podLabels).map(([k, v]) => `${k}=${v}`).join(", ")})`,
      labelFlag("operator-pod-label"),
    )
    .action(async (flags: OperatorFlags) => {
      // Loaded here, not at the top: the Kubernetes client takes 0.6 s to load, which the other commands need not pay.
      const { ownNamespace, runOperator } = await import("../../operator/main.js");
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGTERM", onSignal);
      process.once("SIGINT", onSignal);
      try {
        await runOperator({
          listen: flags.listen,
          identityListen: flags.identityListen,
          leaderElection: flags.leaderElection,
          workers: flags.workers,
          signal: stop.signal,
          children: {
            nodeImage: flags.nodeImage,
            imagePullSecrets: flags.nodeImagePullSecret,
            podMonitor: flags.podMonitors,
            podMonitorLabels: flags.podMonitorLabel,
            identityUrl: identityUrl(flags.identityUrl),
            // The operator's pods run in its own namespace, wherever its Lease is kept.
            networkPolicy: flags.networkPolicies ? { namespace: ownNamespace(), podLabels: flags.operatorPodLabel ?? DEFAULT_OPERATOR_PEER.podLabels } : undefined,
          },
          ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}),
          ...(flags.leaseNamespace !== undefined ? { leaseNamespace: flags.leaseNamespace } : {}),
        });
      } finally {
        process.off("SIGTERM", onSignal);
        process.off("SIGINT", onSignal);
      }
    });
}
