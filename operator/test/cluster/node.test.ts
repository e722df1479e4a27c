// SPDX-License-Identifier: Apache-2.0
/**
 * The real single-node cluster itself, on plain Kubernetes objects: what the end-to-end tests of
 * the chart rely on (pods running real containers and becoming Ready, StatefulSet pods finding
 * each other by name through CoreDNS, pods reaching the API through the `kubernetes` Service,
 * the host reaching pods, memory limits and PodSecurity enforced) is checked here, so a harness
 * fault is not mistaken for a product bug. The last test tears the cluster down and checks that
 * nothing is left on the host.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError, type KubeObject } from "../k8s/harness/rest.js";
import { httpCall } from "../k8s/harness/rest.js";
import { waitFor } from "@relaylab/node/wait";
import { assertClean, clusterSuite } from "./harness/suite.js";

const suite = await clusterSuite();
const ns = "smoke";

interface ContainerStatus {
  name: string;
  restartCount?: number;
  state?: { terminated?: { exitCode: number; reason?: string } };
  lastState?: { terminated?: { exitCode: number; reason?: string } };
}

interface Pod extends KubeObject {
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: ContainerStatus[];
  };
}

/** The restricted PodSecurity profile, as the chart's pods have it. */
const restricted = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};

function probeContainer(image: string, args: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: "probe", image, imagePullPolicy: "Never", args, securityContext: restricted, ...extra };
}

/** A pod running `probe serve 8080`, Ready when /healthz answers. */
function serverSpec(image: string): Record<string, unknown> {
  return {
    containers: [
      probeContainer(image, ["serve", "8080"], {
        ports: [{ containerPort: 8080, name: "http" }],
        readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 },
      }),
    ],
  };
}

/** A pod that runs one probe command to completion. */
function jobPod(name: string, image: string, args: string[]): Record<string, unknown> {
  return { metadata: { name }, spec: { restartPolicy: "Never", containers: [probeContainer(image, args)] } };
}

describe("real single-node cluster", { skip: suite.skip }, () => {
  const cluster = suite.cluster();
  const pods = `/api/v1/namespaces/${ns}/pods`;

  const waitPod = (name: string, what: string, done: (p: Pod) => boolean): Promise<Pod> =>
    waitFor(`pod ${name} ${what}`, async () => {
      cluster().assertRunning();
      const p = await cluster().admin.get<Pod>(`${pods}/${name}`);
      return done(p) ? p : undefined;
    }, { timeoutMs: 180_000 });

  /** Runs a one-shot probe pod; resolves to its log once it has Succeeded, fails with the log otherwise. */
  const runToCompletion = async (name: string, args: string[]): Promise<string> => {
    await cluster().admin.create(pods, jobPod(name, cluster().probeImage, args));
    const p = await waitPod(name, "to finish", (x) => x.status?.phase === "Succeeded" || x.status?.phase === "Failed");
    const log = await cluster().podLog(ns, name);
    assert.equal(p.status?.phase, "Succeeded", `pod ${name} (probe ${args.join(" ")}) failed; its log:\n${log}`);
    return log;
  };

  it("runs kubelet v1.36 with containerd 2.x and a Ready node", async () => {
    const { versions } = cluster();
    assert.match(versions.kubelet, /^v1\.36\.\d+$/);
    assert.match(versions.containerd, /^v?2\.\d+\.\d+/);
    await cluster().admin.create("/api/v1/namespaces", {
      metadata: { name: ns, labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
    });
    await waitFor("the default ServiceAccount of the namespace", () => cluster().admin.find(`/api/v1/namespaces/${ns}/serviceaccounts/default`));
  });

  it("runs a pod to Ready and the host reaches it over HTTP", async () => {
    await cluster().admin.create(pods, { metadata: { name: "web" }, spec: serverSpec(cluster().probeImage) });
    const p = await waitPod("web", "to be Ready", (x) => x.status?.conditions?.find((c) => c.type === "Ready")?.status === "True");
    const ip = p.status?.podIP;
    assert.ok(ip !== undefined && ip.startsWith(cluster().layout.podCidr.split(".").slice(0, 3).join(".")), `pod IP ${ip} is not in ${cluster().layout.podCidr}`);
    const res = await httpCall(`http://${ip}:8080/`);
    assert.equal(res.status, 200);
    assert.equal(res.body.trim(), "web", "the pod answers with its hostname");
  });

  it("runs a 3-replica StatefulSet behind a headless Service, and a pod resolves a peer by name", async () => {
    const labels = { app: "peers" };
    await cluster().admin.create(`/api/v1/namespaces/${ns}/services`, {
      metadata: { name: "peers" },
      spec: { clusterIP: "None", selector: labels, ports: [{ name: "http", port: 8080 }] },
    });
    await cluster().admin.create(`/apis/apps/v1/namespaces/${ns}/statefulsets`, {
      metadata: { name: "node" },
      spec: {
        serviceName: "peers",
        replicas: 3,
        podManagementPolicy: "Parallel",
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: serverSpec(cluster().probeImage) },
      },
    });
    await waitFor("StatefulSet node to have 3 ready replicas", async () => {
      cluster().assertRunning();
      const s = await cluster().admin.get<{ status?: { readyReplicas?: number } }>(`/apis/apps/v1/namespaces/${ns}/statefulsets/node`);
      return s.status?.readyReplicas === 3 ? true : undefined;
    }, { timeoutMs: 180_000 });
    const peer = await cluster().admin.get<Pod>(`${pods}/node-0`);
    const log = await runToCompletion("resolve-peer", ["resolve", "node-0.peers", "60"]);
    assert.ok(peer.status?.podIP && log.includes(peer.status.podIP), `node-0.peers should resolve to ${peer.status?.podIP}; probe said: ${log}`);
  });

  it("lets a pod reach kube-apiserver through the kubernetes Service's ClusterIP", async () => {
    const log = await runToCompletion("reach-api", ["get", `https://${cluster().layout.apiServiceIp}:443/version`, "60"]);
    assert.match(log, /HTTP 200 .*"gitVersion": ?"v1\.36\./s);
  });

  it("OOM-kills a container over its memory limit", async () => {
    await cluster().admin.create(pods, {
      metadata: { name: "hog" },
      spec: {
        restartPolicy: "Never",
        containers: [probeContainer(cluster().probeImage, ["alloc", "256"], { resources: { limits: { memory: "32Mi" } } })],
      },
    });
    const p = await waitPod("hog", "to be killed", (x) => x.status?.containerStatuses?.[0]?.state?.terminated !== undefined);
    const terminated = p.status?.containerStatuses?.[0]?.state?.terminated;
    assert.equal(terminated?.reason, "OOMKilled");
    assert.equal(terminated.exitCode, 137);
  });

  it("enforces the restricted PodSecurity profile", async () => {
    const privileged = probeContainer(cluster().probeImage, ["serve", "8080"], { securityContext: { privileged: true } });
    const refused = await cluster()
      .admin.create(pods, { metadata: { name: "privileged" }, spec: { containers: [privileged] } })
      .then(() => undefined, (e: unknown) => e);
    assert.ok(refused instanceof ApiError && refused.code === 403, `a privileged pod must be refused, got ${String(refused)}`);
    assert.match(refused.message, /violates PodSecurity "restricted/);
  });

  it("tears down without leaving anything on the host", async () => {
    const memory = await cluster().memoryMiB();
    const total = Object.values(memory).reduce((a, b) => a + b, 0);
    const report = await cluster().stop();
    process.stdout.write(
      `cluster: started in ${(cluster().startMs / 1000).toFixed(1)} s, tore down in ${report.seconds.toFixed(1)} s; ` +
        `RSS ${total} MiB (${Object.entries(memory).map(([k, v]) => `${k} ${v}`).join(", ")})\n`,
    );
    assertClean(report);
  });
});
