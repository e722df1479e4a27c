// SPDX-License-Identifier: Apache-2.0
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { OPERATOR_METRICS } from "../../src/metrics/names.js";
import { runOperator } from "../../src/operator/main.js";
import type { Subnet } from "../../src/api/index.js";
import { FakeKube } from "../fake-kube.js";
import { waitFor } from "@relaylab/node/wait";
import { POLL_FAST } from "../settle.js";
import { FakeNodes } from "./controller/harness.js";
import { testLog } from "../log.js";
import { dataCenter, subnet } from "../fixtures.js";

describe("runOperator", () => {
  it("elects itself, reconciles Subnets from watches, serves /healthz and /metrics, and stops cleanly", async () => {
    const kube = new FakeKube();
    const stop = new AbortController();
    let address = "";
    const running = runOperator({
      api: kube,
      nodes: new FakeNodes(),
      logger: testLog,
      leaseNamespace: "relaylab-system",
      identity: "replica-a",
      listen: "127.0.0.1:0",
      identityListen: "127.0.0.1:0",
      statusRefreshMs: 200,
      signal: stop.signal,
      onListening: (a) => (address = a),
    });
    const outcome = running.then(
      () => undefined,
      (err: unknown) => err,
    );
    await waitFor("health server", () => address !== "", POLL_FAST);
    await kube.create(dataCenter("dc-a"));
    const { metadata: _m, ...rest } = subnet("beta", { nodes: 4, groups: 1, groupSize: 4 });
    await kube.create({ ...rest, metadata: { name: "beta", namespace: "default" } });

    await waitFor("StatefulSet from the Subnet watch", () => kube.find("apps/v1", "StatefulSet", "beta-dc-a", "default") !== undefined, POLL_FAST);
    await waitFor("status written", () => (kube.find("relaylab.dev/v1alpha1", "Subnet", "beta", "default") as unknown as Subnet).status?.observedGeneration === 1, POLL_FAST);
    await waitFor("DataCenter finalizer", () => (kube.find("relaylab.dev/v1alpha1", "DataCenter", "dc-a")?.metadata.finalizers ?? []).length === 1, POLL_FAST);
    assert.equal((kube.find("coordination.k8s.io/v1", "Lease", "relaylab-operator", "relaylab-system") as unknown as { spec: { holderIdentity: string } }).spec.holderIdentity, "replica-a");

    // A change made while the watch is down arrives after the informer relists.
    kube.expireWatches();
    const sn = kube.find("relaylab.dev/v1alpha1", "Subnet", "beta", "default")!;
    await kube.update({ ...structuredClone(sn), spec: { ...(sn.spec as object), nodes: 5, groupSize: 5 } } as never);
    await waitFor("scale after 410", () => (kube.find("apps/v1", "StatefulSet", "beta-dc-a", "default") as unknown as { spec: { replicas: number } }).spec.replicas === 5, POLL_FAST);

    const health = await fetch(`http://${address}/healthz`);
    assert.equal(health.status, 200);
    const ready = await fetch(`http://${address}/readyz`);
    assert.equal(ready.status, 200);
    const metrics = await (await fetch(`http://${address}/metrics`)).text();
    assert.match(metrics, new RegExp(`${OPERATOR_METRICS.reconcile}\\{controller="subnet",result="requeue"\\} [1-9]`));
    assert.match(metrics, new RegExp(`${OPERATOR_METRICS.leader} 1`));
    assert.match(metrics, new RegExp(`${OPERATOR_METRICS.reconcileDuration}_bucket`));

    stop.abort();
    assert.equal(await outcome, undefined);
    assert.equal(kube.watcherCount, 0, "watches closed");
    const lease = kube.find("coordination.k8s.io/v1", "Lease", "relaylab-operator", "relaylab-system") as unknown as { spec: { holderIdentity: string } };
    assert.equal(lease.spec.holderIdentity, "", "lease released on shutdown");
  });
});
