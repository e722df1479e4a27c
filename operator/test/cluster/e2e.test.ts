// SPDX-License-Identifier: Apache-2.0
/**
 * End to end on the real single-node cluster, with the images built from our Dockerfiles
 * (images/build.sh, offline, cached): `helm install` of charts/relaylab runs two operator pods,
 * one of which holds the leader-election Lease; a 7-node Subnet over two DataCenters in a
 * namespace enforcing the restricted Pod Security profile runs real node containers, finishes its
 * DKG and becomes Ready with a round that advances. Independently of the operator, the test reads
 * every node's beacons over its public gRPC API (the host routes the pod range) and verifies them
 * with the runner's ledger: one chain, every link, every signature under its group's key, every
 * node agreeing. Then a node pod is deleted: the StatefulSet brings it back with the same
 * identity, it catches up, and the chain still agrees. Last, a real Prometheus (Debian's package,
 * which lacks kubernetes_sd_configs: the targets come from the API server's pod list) scrapes
 * every node and operator pod, loads the shipped alert rules, and every dashboard query and every
 * metric an alert reads returns data.
 *
 * Prints what it measured: helm install to Subnet Ready, node pod memory (kubelet
 * /stats/summary), total time. Skips like the rest of the suite (and when build.sh cannot run),
 * except under CI=true, where anything missing fails.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { allAlertExpressions } from "@relaylab/dashboards/expressions";
import { liveCheck, prometheusQuery } from "@relaylab/dashboards/live-check";
import type { NodeStatus } from "@relaylab/node/gen/relaylab/v1/public";
import { NODE_METRICS } from "@relaylab/node/metrics-names";
import type { Subnet } from "../../src/api/index.js";
import { LABEL_DATA_CENTER, LABEL_POD_INDEX, LABEL_SUBNET, PORTS, genesisConfigMapName } from "../../src/resources/names.js";
import { TestnetObserver } from "../../src/local/observer.js";
import { freePorts } from "../../src/local/ports.js";
import type { KubeObject } from "../k8s/harness/rest.js";
import { StopWaiting, waitFor } from "@relaylab/node/wait";
import type { Cluster } from "./harness.js";
import { clusterSuite } from "./harness/suite.js";
import { archiveOf, BUILD_DEADLINE_MS, buildImages, imageRef, missingBuildPrerequisite } from "./images/build.js";

const run = promisify(execFile);
const CHART = fileURLToPath(new URL("../../../charts/relaylab", import.meta.url));
const ALERTS = fileURLToPath(new URL("../../../dashboards/generated/alerts.yaml", import.meta.url));
const FIXTURE = fileURLToPath(new URL("fixtures/e2e-subnet.yaml", import.meta.url));
const RELEASE = "relaylab";
const RELEASE_NS = "relaylab-system";
const NS = "relaylab-e2e";
const SUBNET = "e2e";
const NODES = 7;
/** The chart's Lease name (operator/src/cli/commands/operator.ts). */
const LEASE = "relaylab-operator";
/** Pods start in seconds; the DKG of two groups on a loaded 2-core machine can take minutes. */
const READY_DEADLINE_MS = 10 * 60_000;
const STEP_DEADLINE_MS = 5 * 60_000;

const suite = await clusterSuite();
const buildMissing = process.env.CI === "true" ? undefined : missingBuildPrerequisite();
const skip = suite.skip !== false ? suite.skip : (buildMissing ?? false);
const hasPrometheus = spawnSync("prometheus", ["--version"]).status === 0;
if (!hasPrometheus && process.env.CI === "true") throw new Error("prometheus is not installed; .ci/run installs Debian's prometheus package");
if (buildMissing !== undefined && suite.skip === false) process.stderr.write(`e2e.test.ts: SKIPPED, ${buildMissing}: the images cannot be built\n`);

interface Pod extends KubeObject {
  metadata: KubeObject["metadata"] & { uid?: string; labels?: Record<string, string> };
  spec?: { containers: { ports?: { name?: string; containerPort: number }[] }[] };
  status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
}

const progress = (line: string): void => {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} e2e: ${line}\n`);
};
const isReady = (p: Pod): boolean => p.status?.phase === "Running" && p.status.conditions?.find((c) => c.type === "Ready")?.status === "True";
const condition = (s: Subnet, type: string): string | undefined => s.status?.conditions?.find((c) => c.type === type)?.status;
const splitRef = (ref: string): { repository: string; tag: string } => {
  const at = ref.lastIndexOf(":");
  return { repository: ref.slice(0, at), tag: ref.slice(at + 1) };
};

describe("end to end: chart, operator and a 7-node Subnet on real containers", { skip, timeout: BUILD_DEADLINE_MS + 60 * 60_000 }, () => {
  let archives = new Map<string, string>();
  // Built before the cluster starts, so a cold build does not hold the machine-wide cluster lock.
  before(async () => {
    archives = await buildImages();
  }, { timeout: BUILD_DEADLINE_MS });
  const cluster = suite.cluster();
  const startedAt = performance.now();
  let helmHome = "";
  let installedAt = 0;
  let readySeconds = 0;
  let genesisSeed = "";
  /** Each node's certificate by index, from the genesis ConfigMap: the observer pins the nodes' TLS to them. */
  let certificates: (string | undefined)[] = [];
  const observers: TestnetObserver[] = [];

  before(async () => {
    await cluster().importImages([archiveOf(archives, "node"), archiveOf(archives, "operator")]);
    helmHome = await mkdtemp(join(tmpdir(), "relaylab-e2e-helm-"));
  });
  after(async () => {
    for (const o of observers) o.stop();
    if (helmHome !== "") await rm(helmHome, { recursive: true, force: true });
  });

  const tool = async (bin: string, args: readonly string[]): Promise<string> => {
    const env = { ...process.env, HELM_CACHE_HOME: join(helmHome, "cache"), HELM_CONFIG_HOME: join(helmHome, "config"), HELM_DATA_HOME: join(helmHome, "data") };
    try {
      return (await run(bin, [...args, "--kubeconfig", cluster().kubeconfigFile], { env, maxBuffer: 16 << 20 })).stdout;
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`${bin} ${args.join(" ")} failed: ${err.stderr?.trim() ?? err.message}`, { cause: e });
    }
  };
  const kubectl = (...args: string[]): Promise<string> => tool(cluster().binaries.kubectl, args);
  const listPods = async (c: Cluster, ns: string, selector?: string): Promise<Pod[]> =>
    (await c.admin.list<Pod>(`/api/v1/namespaces/${ns}/pods`, selector !== undefined ? { labelSelector: selector } : undefined)).items;
  const subnet = (): Promise<Subnet> => cluster().admin.get<Subnet>(`/apis/relaylab.dev/v1alpha1/namespaces/${NS}/subnets/${SUBNET}`);
  const nodePods = (): Promise<Pod[]> => listPods(cluster(), NS, `${LABEL_SUBNET}=${SUBNET}`);

  /** Follows every node pod's public gRPC API at its pod IP, from round 1. */
  const observe = async (): Promise<TestnetObserver> => {
    const pods = await nodePods();
    assert.equal(pods.length, NODES);
    const endpoints = pods.map((p) => {
      const ip = p.status?.podIP;
      const index = Number(p.metadata.labels?.[LABEL_POD_INDEX]);
      assert.ok(ip !== undefined && Number.isInteger(index), `pod ${p.metadata.name} has no IP or index yet`);
      const at = (port: number): string => `${ip}:${String(port)}`;
      return { index, dataCenter: p.metadata.labels?.[LABEL_DATA_CENTER] ?? "", grpc: at(PORTS.peer), control: at(PORTS.control), metrics: at(PORTS.metrics), certificate: certificates[index] };
    });
    const observer = new TestnetObserver(endpoints, genesisSeed);
    observers.push(observer);
    observer.start();
    return observer;
  };

  /** Waits until every node has delivered round `round` with the same bytes; the ledger checked 1…round as one verified chain. */
  const agreeUpTo = async (observer: TestnetObserver, round: number, what: string): Promise<void> => {
    await observer.waitFor(() => observer.violations.length > 0 || observer.ledger.round(round)?.nodes.size === NODES, STEP_DEADLINE_MS, what);
    assert.deepEqual(observer.violations, [], "the verifier found safety violations");
    for (let r = 1; r <= round; r++) assert.ok(observer.ledger.round(r) !== undefined, `round ${String(r)} was never verified`);
  };

  it("helm install runs two operator pods from the offline-built image, one holding the Lease", async () => {
    const { repository, tag } = splitRef(imageRef("operator"));
    installedAt = performance.now();
    progress(`helm install ${RELEASE} with ${repository}:${tag}`);
    await tool(cluster().binaries.helm, [
      "install", RELEASE, CHART, "--namespace", RELEASE_NS, "--create-namespace",
      "--set", `operator.image.repository=${repository}`, "--set", `operator.image.tag=${tag}`, "--set", "operator.image.pullPolicy=Never",
    ]);
    const pods = await waitFor("two Ready operator pods", async () => {
      const ps = (await listPods(cluster(), RELEASE_NS)).filter(isReady);
      return ps.length === 2 ? ps : undefined;
    }, { timeoutMs: STEP_DEADLINE_MS });
    const names = pods.map((p) => p.metadata.name);
    const holder = await waitFor("the leader-election Lease to have a holder", async () => {
      const lease = await cluster().admin.find<{ spec?: { holderIdentity?: string } }>(`/apis/coordination.k8s.io/v1/namespaces/${RELEASE_NS}/leases/${LEASE}`);
      return lease?.spec?.holderIdentity;
    }, { timeoutMs: STEP_DEADLINE_MS });
    // An operator's Lease identity is its hostname (the pod name) plus a random suffix.
    assert.ok(names.some((n) => new RegExp(`^${n}-[0-9a-f]{8}$`).test(holder)), `Lease holder ${holder} is not one of the operator pods ${names.join(", ")}`);
    progress(`operator pods ${names.join(", ")} Ready; ${holder} leads`);
  });

  it("a 7-node Subnet over two DataCenters completes its DKG and becomes Ready with an advancing round", async () => {
    await kubectl("apply", "-f", FIXTURE);
    const ready = await waitFor("Subnet e2e to be Ready with DKGComplete", async () => {
      cluster().assertRunning();
      const s = await subnet();
      return condition(s, "Ready") === "True" && condition(s, "DKGComplete") === "True" && (s.status?.round ?? 0) > 0 ? s : undefined;
    }, { timeoutMs: READY_DEADLINE_MS, intervalMs: 1000 });
    readySeconds = (performance.now() - installedAt) / 1000;
    progress(`Subnet Ready at round ${String(ready.status?.round)}, ${readySeconds.toFixed(1)} s after helm install`);
    assert.equal(ready.status?.nodes, NODES);
    assert.equal(ready.status.readyNodes, NODES);
    assert.deepEqual(ready.status.placement?.map((p) => [p.dataCenter, p.nodes]), [["e2e-east", 4], ["e2e-west", 3]]);
    const pods = await nodePods();
    assert.equal(pods.filter(isReady).length, NODES, "every node pod runs and is Ready");

    const start = ready.status.round ?? 0;
    const advanced = await waitFor("the Subnet's round to advance", async () => {
      const s = await subnet();
      return (s.status?.round ?? 0) > start ? s : undefined;
    }, { timeoutMs: STEP_DEADLINE_MS, intervalMs: 1000 });

    // kubectl's columns are the CRD's printer columns; -o wide adds Phase (priority 1).
    const [header = [], row = []] = (await kubectl("get", "sn", "-n", NS, "-o", "wide")).trim().split("\n").map((l) => l.trim().split(/\s+/));
    const column = (name: string): string | undefined => {
      const i = header.indexOf(name);
      assert.ok(i >= 0, `kubectl get sn has no ${name} column: ${header.join(" ")}`);
      return row[i];
    };
    assert.deepEqual(
      ["NAME", "NODES", "READY", "PHASE"].map(column),
      [SUBNET, String(NODES), String(NODES), "Running"],
    );
    assert.ok(Number(column("ROUND")) >= (advanced.status?.round ?? 1), `kubectl shows round ${String(column("ROUND"))}`);
    assert.ok(Number(column("LATENCY")) > 0, `kubectl shows latency ${String(column("LATENCY"))}`);
    assert.match(column("STALLS") ?? "", /^\d+$/);

    const genesis = await cluster().admin.get<{ data: Record<string, string> }>(`/api/v1/namespaces/${NS}/configmaps/${genesisConfigMapName(SUBNET)}`);
    const parsed = JSON.parse(genesis.data["genesis.json"] ?? "{}") as { seed: string; nodes: { certificate?: string }[] };
    genesisSeed = parsed.seed;
    assert.match(genesisSeed, /^[0-9a-f]{64}$/);
    certificates = parsed.nodes.map((n) => n.certificate);
    assert.ok(certificates.every((c) => c?.startsWith("-----BEGIN CERTIFICATE-----")), "the operator gives every node a certificate");

    // The status's live figures are the nodes' own: compare with what the pods report over gRPC.
    const observer = await observe();
    await observer.waitFor(() => observer.statuses.size === NODES, STEP_DEADLINE_MS, "a Status from every node");
    const statuses = [...observer.statuses.values()];
    const s = await subnet();
    const maxRound = Math.max(...statuses.map((x: NodeStatus) => Number(x.round)));
    const maxStalls = Math.max(...statuses.map((x) => Number(x.stallEvents)));
    const latencies = statuses.map((x) => x.roundLatencyP50Seconds * 1000).filter((x) => x > 0);
    assert.ok((s.status?.round ?? 0) > 0 && (s.status?.round ?? 0) <= maxRound + 1, `status round ${String(s.status?.round)}, nodes at most ${String(maxRound)}`);
    assert.ok((s.status?.stallEvents ?? 0) <= maxStalls, `status stalls ${String(s.status?.stallEvents)}, nodes at most ${String(maxStalls)}`);
    const p50 = s.status?.roundLatencyP50Ms ?? 0;
    assert.ok(p50 > 0 && latencies.length > 0 && p50 >= Math.min(...latencies) * 0.5 && p50 <= Math.max(...latencies) * 2,
      `status latency ${String(p50)} ms against the nodes' p50s ${latencies.map((l) => l.toFixed(0)).join(", ")} ms`);
    // Signing excludes the pacing wait, so it sits at or below the round interval: the headroom a load tester watches.
    const signing = s.status?.signingLatencyP50Ms ?? 0;
    assert.ok(signing > 0 && signing <= p50 * 1.1, `status signing latency ${String(signing)} ms against round latency ${String(p50)} ms`);
    progress(`status: round ${String(s.status?.round)}, p50 ${String(p50)} ms, signing p50 ${String(signing)} ms, stalls ${String(s.status?.stallEvents)}; nodes at rounds ${statuses.map((x) => String(x.round)).join(",")}`);
  });

  it("every node's public API serves one chain of beacons that verify under their group keys", async () => {
    const observer = observers[0];
    assert.ok(observer !== undefined, "the previous test started no observer");
    const target = Math.max(...[...observer.statuses.values()].map((x) => Number(x.round))) + 2;
    await agreeUpTo(observer, target, `all ${String(NODES)} nodes to deliver round ${String(target)}`);
    progress(`verified rounds 1…${String(observer.ledger.highestRound)} from ${String(NODES)} nodes, no violations`);
  });

  it("the control API refuses a pod of another namespace and a pod posing as another Subnet's node; the operator built the Subnet's NetworkPolicy", async () => {
    const policy = await cluster().admin.find<KubeObject & { metadata: { ownerReferences?: { kind: string; name: string }[] }; spec?: { ingress?: { ports: { port: string }[] }[] } }>(
      `/apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies/${SUBNET}`,
    );
    assert.ok(policy !== undefined, "the operator builds a NetworkPolicy per Subnet");
    assert.deepEqual(policy.metadata.ownerReferences?.map((o) => `${o.kind}/${o.name}`), [`Subnet/${SUBNET}`]);
    assert.deepEqual(policy.spec?.ingress?.map((r) => r.ports.map((p) => p.port).join()), ["peer", "control", "metrics"]);
    // The bridge CNI here enforces no NetworkPolicy, so what refuses these callers is the control
    // key: each pod calls SetFaults on node 0 unsigned and signed with a key of its own, and exits
    // 0 only if both calls are refused with UNAUTHENTICATED (16); an unreachable node would be 14.
    const target = (await nodePods()).find((p) => p.metadata.labels?.[LABEL_POD_INDEX] === "0")?.status?.podIP;
    assert.ok(target !== undefined, "node 0 has no pod IP");
    // Node 0's certificate is public (genesis): the callers complete the TLS handshake, so the refusal is the control key's.
    const certificate = certificates[0];
    assert.ok(certificate !== undefined, "the genesis ConfigMap gives node 0 no certificate");
    const script = [
      'const { NodeClient } = await import("/app/node/dist/client/node-client.js");',
      'const { FaultSet } = await import("/app/node/dist/gen/relaylab/v1/control.js");',
      'const { generateControlKey } = await import("/app/node/dist/identity/control-auth.js");',
      "const codes = [];",
      'for (const auth of [undefined, { secretKey: Buffer.from(generateControlKey().secretKey, "hex"), node: 0 }]) {',
      "  const c = new NodeClient({ control: process.env.TARGET, certificate: process.env.CERTIFICATE }, auth === undefined ? {} : { controlAuth: auth });",
      '  try { await c.setFaults(FaultSet.fromPartial({ pauseMs: 60000 })); codes.push("accepted"); } catch (e) { codes.push(e.code); }',
      "  c.close();",
      "}",
      "console.log(JSON.stringify(codes));",
      "process.exit(codes.every((c) => c === 16) ? 0 : 1);",
    ].join("\n");
    const callers = [
      { namespace: "relaylab-outsider", name: "outsider", labels: {} },
      { namespace: NS, name: "impostor", labels: { "app.kubernetes.io/name": "relaylab-node", [LABEL_SUBNET]: "another" } },
    ];
    await cluster().admin.create("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "relaylab-outsider" } });
    for (const c of callers) {
      await cluster().admin.create(`/api/v1/namespaces/${c.namespace}/pods`, {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: c.name, namespace: c.namespace, labels: c.labels },
        spec: {
          restartPolicy: "Never",
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } },
          containers: [{
            name: "caller",
            image: imageRef("node"),
            imagePullPolicy: "Never",
            command: ["/nodejs/bin/node", "--input-type=module", "-e", script],
            env: [{ name: "TARGET", value: `${target}:${String(PORTS.control)}` }, { name: "CERTIFICATE", value: certificate }],
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
          }],
        },
      });
    }
    for (const c of callers) {
      const phase = await waitFor(`pod ${c.namespace}/${c.name} to finish`, async () => {
        const p = await cluster().admin.find<Pod>(`/api/v1/namespaces/${c.namespace}/pods/${c.name}`);
        return p?.status?.phase === "Succeeded" || p?.status?.phase === "Failed" ? p.status.phase : undefined;
      }, { timeoutMs: STEP_DEADLINE_MS, intervalMs: 500 });
      assert.equal(phase, "Succeeded", `${c.namespace}/${c.name}: a control call without the Subnet's control key was not refused with UNAUTHENTICATED`);
      await cluster().admin.delete(`/api/v1/namespaces/${c.namespace}/pods/${c.name}`);
    }
    progress("control calls from another namespace and from a pod labelled as another Subnet's node: refused (UNAUTHENTICATED)");
  });

  it("a deleted node pod comes back with the same identity and catches up, with no safety violation", async () => {
    const victim = (await nodePods()).find((p) => p.metadata.labels?.[LABEL_POD_INDEX] === "6");
    assert.ok(victim !== undefined, "no node pod with index 6");
    const name = victim.metadata.name;
    const oldUid = victim.metadata.uid;
    const before = observers[0];
    assert.ok(before !== undefined);
    const roundAtDelete = before.ledger.highestRound;
    for (const o of observers.splice(0)) o.stop();
    progress(`deleting pod ${name} at round ${String(roundAtDelete)}`);
    await cluster().admin.delete(`/api/v1/namespaces/${NS}/pods/${name}`);
    const back = await waitFor(`pod ${name} to be recreated and Ready`, async () => {
      const p = await cluster().admin.find<Pod>(`/api/v1/namespaces/${NS}/pods/${name}`);
      return p !== undefined && p.metadata.uid !== oldUid && isReady(p) ? p : undefined;
    }, { timeoutMs: STEP_DEADLINE_MS, intervalMs: 500 });
    assert.equal(back.metadata.labels?.[LABEL_POD_INDEX], "6", "the StatefulSet keeps the ordinal, hence the node's index");

    const observer = await observe();
    await observer.waitFor(() => observer.statuses.get(6) !== undefined, STEP_DEADLINE_MS, `a Status from ${name}`);
    assert.equal(observer.statuses.get(6)?.index, 6, "the recreated node serves as member 6 (its identity key comes from the Secret)");
    const target = roundAtDelete + 3;
    await agreeUpTo(observer, target, `the recreated node and the others to deliver round ${String(target)}`);
    await observer.waitFor(() => {
      const rounds = [...observer.statuses.values()].map((x) => Number(x.round));
      const own = Number(observer.statuses.get(6)?.round ?? 0);
      return observer.statuses.size === NODES && own >= Math.min(...rounds);
    }, STEP_DEADLINE_MS, `${name}'s round to reach the others'`);
    assert.deepEqual(observer.violations, []);
    progress(`${name} caught up; rounds 1…${String(observer.ledger.highestRound)} agree across ${String(NODES)} nodes`);
  });

  it("a real Prometheus scrapes every pod; every dashboard query and alert metric has data", { skip: hasPrometheus ? false : "prometheus is not installed (apt-get install prometheus)" }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "relaylab-e2e-prometheus-"));
    const [port] = await freePorts(1);
    const base = `http://127.0.0.1:${String(port)}`;
    // Debian's prometheus is built without kubernetes_sd_configs, so the targets come from the
    // API server's pod list here, as file_sd, with the target labels the chart's PodMonitor sets
    // (charts/relaylab/templates/podmonitor.yaml). Prometheus scrapes the pod IPs directly.
    const targets = (await nodePods()).map((p) => ({
      targets: [`${String(p.status?.podIP)}:${String(PORTS.metrics)}`],
      labels: {
        subnet: p.metadata.labels?.[LABEL_SUBNET] ?? "",
        data_center: p.metadata.labels?.[LABEL_DATA_CENTER] ?? "",
        node: p.metadata.labels?.[LABEL_POD_INDEX] ?? "",
        namespace: NS,
        pod: p.metadata.name,
      },
    }));
    const operatorPods = (await listPods(cluster(), RELEASE_NS)).filter(isReady);
    const operatorTargets = operatorPods.map((p) => {
      const metricsPort = p.spec?.containers[0]?.ports?.find((x) => x.name === "metrics")?.containerPort;
      assert.ok(metricsPort !== undefined, `operator pod ${p.metadata.name} has no port named metrics`);
      return { targets: [`${String(p.status?.podIP)}:${String(metricsPort)}`], labels: { namespace: RELEASE_NS, pod: p.metadata.name } };
    });
    await writeFile(join(dir, "nodes.json"), JSON.stringify(targets));
    await writeFile(join(dir, "operator.json"), JSON.stringify(operatorTargets));
    const config = [
      "global: { scrape_interval: 1s, evaluation_interval: 1s }",
      `rule_files: [${JSON.stringify(ALERTS)}]`,
      "scrape_configs:",
      "  - job_name: relaylab-nodes",
      `    file_sd_configs: [{ files: [${JSON.stringify(join(dir, "nodes.json"))}] }]`,
      "  - job_name: relaylab-operator",
      `    file_sd_configs: [{ files: [${JSON.stringify(join(dir, "operator.json"))}] }]`,
      "",
    ].join("\n");
    await writeFile(join(dir, "prometheus.yml"), config);
    const prometheus: ChildProcess = spawn("prometheus", [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "tsdb")}`, `--web.listen-address=127.0.0.1:${String(port)}`], { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    prometheus.stderr?.setEncoding("utf8").on("data", (s: string) => (log = (log + s).slice(-4000)));
    const exited = new Promise((resolve) => prometheus.once("exit", resolve));
    try {
      const query = prometheusQuery(base);
      // Rates need two samples in their window: wait until every node's round and the operator's reconciles have one.
      await waitFor("Prometheus to scrape 7 advancing nodes and the operator", async () => {
        if (prometheus.exitCode !== null) throw new StopWaiting(new Error(`prometheus exited: ${log}`));
        const nodes = await query(`rate(${NODE_METRICS.beaconRound}[30s]) > 0`);
        const operators = await query(`up{job="relaylab-operator"} == 1`);
        return nodes === NODES && operators === 2 ? true : undefined;
      }, { timeoutMs: STEP_DEADLINE_MS, intervalMs: 1000 });
      const results = await liveCheck(query, "30s");
      assert.ok(results.length > 40, `only ${String(results.length)} expressions found`);
      const empty = results.filter((r) => r.series === 0).map((r) => `${r.where}: ${r.expr}`);
      assert.deepEqual(empty, [], `empty:\n${empty.join("\n")}`);
      for (const a of allAlertExpressions()) await assert.doesNotReject(query(a.expr), a.alert);
      progress(`Prometheus: ${String(results.length)} dashboard queries and alert metrics return data; ${String(allAlertExpressions().length)} alert expressions evaluate`);
    } finally {
      // Stopped here, not in an after hook: the cluster's teardown check counts leftover processes.
      prometheus.kill("SIGKILL");
      await exited;
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reports node pod memory from the kubelet's /stats/summary", async () => {
    interface Summary { pods: { podRef: { name: string; namespace: string }; memory?: { rssBytes?: number; workingSetBytes?: number } }[] }
    const mib = (b: number | undefined): number => Math.round((b ?? 0) / (1 << 20));
    // The kubelet samples container stats periodically: a pod recreated moments ago (the one the
    // previous test deleted) may have none yet, so wait for a summary that covers every node pod.
    let missing: string[] = [];
    const summary = await waitFor(`the kubelet's /stats/summary to report RSS for all ${String(NODES)} node pods`, async () => {
      const s = await cluster().admin.get<Summary>(`/api/v1/nodes/${cluster().layout.nodeName}/proxy/stats/summary`);
      // The node pods only: the control-API test's caller pods may still be listed while they go.
      const here = s.pods.filter((p) => p.podRef.namespace === NS && p.podRef.name.startsWith(`${SUBNET}-`));
      missing = here.filter((p) => (p.memory?.rssBytes ?? 0) === 0).map((p) => p.podRef.name);
      return here.length === NODES && missing.length === 0 ? s : undefined;
    }, { timeoutMs: STEP_DEADLINE_MS, intervalMs: 2000 }).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}; no RSS for ${missing.join(", ")}`);
    });
    const nodes = summary.pods.filter((p) => p.podRef.namespace === NS && p.podRef.name.startsWith(`${SUBNET}-`));
    const operators = summary.pods.filter((p) => p.podRef.namespace === RELEASE_NS);
    const fmt = (ps: Summary["pods"]): string => ps.map((p) => `${p.podRef.name} ${String(mib(p.memory?.rssBytes))}/${String(mib(p.memory?.workingSetBytes))}`).join(", ");
    process.stdout.write(`e2e: node pods RSS/working set MiB: ${fmt(nodes)}\ne2e: operator pods: ${fmt(operators)}\n`);
    process.stdout.write(`e2e: helm install to Subnet Ready ${readySeconds.toFixed(1)} s\n`);
    process.stdout.write(`e2e: total ${((performance.now() - startedAt) / 1000).toFixed(1)} s (including the image build check and the cluster start)\n`);
  });
});
