// SPDX-License-Identifier: Apache-2.0
/**
 * The harness itself against the real control plane: what the operator tests rely on (RBAC
 * enforced for ServiceAccount tokens, StatefulSet pods scheduled and made Running by kwok,
 * garbage collection by owner reference, data surviving an API server restart) is checked here
 * on plain Kubernetes objects, so a harness fault is not mistaken for an operator bug.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError, type KubeObject, waitFor } from "./harness.js";
import { k8sSuite } from "./harness/suite.js";

const suite = await k8sSuite();
const ns = "harness";

interface Pod extends KubeObject {
  spec: { nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

describe("real control plane (harness)", { skip: suite.skip }, () => {
  const plane = suite.controlPlane(async (p) => {
    await p.addNodes([{ name: "kwok-0" }, { name: "kwok-1" }]);
    await p.admin.create("/api/v1/namespaces", { metadata: { name: ns } });
  });

  it("runs a version-stamped kube-apiserver and etcd 3.5.13 or later", () => {
    const { kubeApiServer, etcd } = plane().versions;
    assert.match(kubeApiServer, /^v1\.\d+\.\d+$/, "kube-apiserver must be built with version ldflags");
    const [major, minor, patch] = etcd.split(".").map(Number);
    assert.equal(major, 3);
    assert.ok(minor! > 5 || (minor === 5 && patch! >= 13), `etcd ${etcd} is older than 3.5.13 (no RequestWatchProgress)`);
  });

  it("enforces RBAC on ServiceAccount tokens", async () => {
    const { admin } = plane();
    await admin.create(`/api/v1/namespaces/${ns}/serviceaccounts`, { metadata: { name: "reader" } });
    const reader = (await plane().serviceAccount(ns, "reader")).rest;
    const denied = await reader.list(`/api/v1/namespaces/${ns}/secrets`).then(
      () => 200,
      (e: unknown) => (e instanceof ApiError ? e.code : Promise.reject(e as Error)),
    );
    assert.equal(denied, 403, "a ServiceAccount without a role must not list secrets");
    await admin.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
      metadata: { name: "secret-reader" },
      rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["list"] }],
    });
    await admin.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      metadata: { name: "secret-reader" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "secret-reader" },
      subjects: [{ kind: "ServiceAccount", name: "reader", namespace: ns }],
    });
    const listed = await waitFor("the RoleBinding to take effect", () => reader.list(`/api/v1/namespaces/${ns}/secrets`));
    assert.ok(Array.isArray(listed.items));
  });

  it("runs StatefulSet pods on kwok nodes and garbage-collects them with their owner", async () => {
    const { admin } = plane();
    const labels = { app: "sleeper" };
    await admin.create(`/apis/apps/v1/namespaces/${ns}/statefulsets`, {
      metadata: { name: "sleeper" },
      spec: {
        replicas: 2,
        serviceName: "sleeper",
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: "c", image: "example.invalid/none:1" }] } },
      },
    });
    const ready = (p: Pod): boolean => p.status?.phase === "Running" && p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;
    const pods = await waitFor("2 sleeper pods Running and Ready", async () => {
      const list = await admin.list<Pod>(`/api/v1/namespaces/${ns}/pods`, { labelSelector: "app=sleeper" });
      return list.items.length === 2 && list.items.every(ready) ? list.items : undefined;
    });
    for (const pod of pods) {
      assert.ok(pod.spec.nodeName?.startsWith("kwok-"), "scheduled onto a kwok node");
      assert.equal(pod.metadata.ownerReferences?.[0]?.kind, "StatefulSet");
    }
    await admin.delete(`/apis/apps/v1/namespaces/${ns}/statefulsets/sleeper`, { propagationPolicy: "Background" });
    await waitFor("the garbage collector to delete the sleeper pods", async () => {
      const list = await admin.list(`/api/v1/namespaces/${ns}/pods`, { labelSelector: "app=sleeper" });
      return list.items.length === 0 ? true : undefined;
    });
  });

  it("keeps objects across a kube-apiserver restart", async () => {
    const { admin } = plane();
    await admin.create(`/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: "survivor" }, data: { k: "v" } });
    await plane().restartApiServer();
    const cm = await plane().admin.get<{ data?: Record<string, string> }>(`/api/v1/namespaces/${ns}/configmaps/survivor`);
    assert.deepEqual(cm.data, { k: "v" });
  });
});
