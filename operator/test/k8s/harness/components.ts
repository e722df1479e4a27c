// SPDX-License-Identifier: Apache-2.0
/**
 * Command lines of the control-plane components, shared by the kwok control plane (everything on
 * 127.0.0.1) and the real single-node cluster (operator/test/cluster: everything inside the node's
 * network namespace, kube-apiserver advertising the node IP).
 */
import type { Pki } from "./certs.js";
import type { ManagedProcess } from "./process.js";
import { httpCall } from "./rest.js";
import { StopWaiting, waitFor } from "@relaylab/node/wait";

export function etcdArgs(dataDir: string, ports: { readonly etcdClient: number; readonly etcdPeer: number }): string[] {
  const client = `http://127.0.0.1:${ports.etcdClient}`;
  const peer = `http://127.0.0.1:${ports.etcdPeer}`;
  return [
    `--data-dir=${dataDir}`,
    "--name=relaylab-test",
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=relaylab-test=${peer}`,
    // Test data need not survive a power cut; fsync dominates etcd latency on a busy disk.
    "--unsafe-no-fsync=true",
    "--log-level=warn",
  ];
}

export interface ApiServerOptions {
  /** Where it listens; default 127.0.0.1. */
  readonly bindAddress?: string;
  /** The `kubernetes` Service's endpoint; pods reach the API through it. Default 127.0.0.1. */
  readonly advertiseAddress?: string;
  /** Default 10.0.0.0/24. */
  readonly serviceCidr?: string;
  /** Default ["RBAC"]. */
  readonly authorizationModes?: readonly string[];
  /** Flags appended as they are. */
  readonly extraArgs?: readonly string[];
}

export function apiServerArgs(
  tokensFile: string,
  pki: Pki,
  ports: { readonly etcdClient: number; readonly apiServer: number },
  options: ApiServerOptions = {},
): string[] {
  const advertise = options.advertiseAddress ?? "127.0.0.1";
  return [
    `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
    `--bind-address=${options.bindAddress ?? "127.0.0.1"}`,
    `--advertise-address=${advertise}`,
    `--secure-port=${ports.apiServer}`,
    `--tls-cert-file=${pki.serverCertFile}`,
    `--tls-private-key-file=${pki.serverKeyFile}`,
    `--client-ca-file=${pki.caFile}`,
    `--token-auth-file=${tokensFile}`,
    `--service-account-issuer=https://${advertise}:${ports.apiServer}`,
    `--service-account-key-file=${pki.serviceAccountPublicKeyFile}`,
    `--service-account-signing-key-file=${pki.serviceAccountKeyFile}`,
    `--service-cluster-ip-range=${options.serviceCidr ?? "10.0.0.0/24"}`,
    `--authorization-mode=${(options.authorizationModes ?? ["RBAC"]).join(",")}`,
    "--allow-privileged=true",
    ...(options.extraArgs ?? []),
  ];
}

const PROBES = "--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics";

/** As admin, no leader election (one of each), probes open. */
export function controllerManagerArgs(kubeconfig: string, pki: Pki, port: number, extraArgs: readonly string[] = []): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${port}`,
    `--root-ca-file=${pki.caFile}`,
    `--service-account-private-key-file=${pki.serviceAccountKeyFile}`,
    "--leader-elect=false",
    PROBES,
    ...extraArgs,
  ];
}

export function schedulerArgs(kubeconfig: string, port: number): string[] {
  return [`--kubeconfig=${kubeconfig}`, "--bind-address=127.0.0.1", `--secure-port=${port}`, "--leader-elect=false", PROBES];
}

/** Waits for `GET /readyz` to answer 200; ends at once when the process exits. */
export async function waitApiServerReady(server: string, caPem: string, token: string, apiServer: ManagedProcess): Promise<void> {
  await waitFor("kube-apiserver /readyz", async () => {
    if (!apiServer.running) throw new StopWaiting(new Error(`kube-apiserver exited:\n${apiServer.logTail()}`));
    const res = await httpCall(`${server}/readyz`, { ca: caPem, token });
    return res.status === 200 ? true : undefined;
  });
}
