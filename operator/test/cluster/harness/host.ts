// SPDX-License-Identifier: Apache-2.0
/**
 * What the cluster changes on the host, set up here and undone by bin/teardown.sh: the node's
 * network namespace and veth pair, the route to the pod range, the pods' cgroup root, the
 * sysctls the kubelet sets machine-wide, and the few host paths the kubelet, containerd and the
 * CNI plugins write outside the suite's directory. `hostSnapshot` and `leftovers` turn "teardown
 * leaves nothing behind" into a checked property.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { ClusterLayout } from "./layout.js";

const run = promisify(execFile);

/** Runs a command; a failure carries its stderr. */
export async function sh(file: string, args: readonly string[]): Promise<string> {
  try {
    return (await run(file, args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr?.trim() ?? "";
    throw new Error(`${file} ${args.join(" ")} failed: ${stderr || String(e)}`, { cause: e });
  }
}

/**
 * Sysctls that are global to the machine (not per network namespace) and that the kubelet sets
 * at start (vm.overcommit_memory=1, kernel.panic=10, ...), plus the host namespace's forwarding
 * settings, which nothing here should touch. Restored by teardown, compared by `leftovers`.
 */
const SYSCTLS = [
  "vm.overcommit_memory",
  "vm.panic_on_oom",
  "kernel.panic",
  "kernel.panic_on_oops",
  "kernel.keys.root_maxkeys",
  "kernel.keys.root_maxbytes",
  "net.ipv4.ip_forward",
  "net.ipv4.conf.all.route_localnet",
  "net.bridge.bridge-nf-call-iptables",
  "net.netfilter.nf_conntrack_max",
] as const;

/** Host paths written outside the suite's directory, whatever --root-dir and the configs say. */
const HOST_PATHS = [
  "/var/lib/kubelet",
  "/var/lib/kubelet/device-plugins",
  "/var/log/pods",
  "/var/log/containers",
  "/var/lib/cni",
  "/var/lib/cni/results",
  "/run/containerd",
  "/run/containerd/s",
  "/run/netns",
  "/etc/cni",
  "/opt/containerd",
  "/var/run/nri",
] as const;

export interface HostSnapshot {
  readonly sysctls: Readonly<Record<string, string>>;
  /** Each watched host path: its sorted entries, or null when it does not exist. */
  readonly paths: Readonly<Record<string, readonly string[] | null>>;
  readonly interfaces: readonly string[];
  readonly netns: readonly string[];
  readonly routes: readonly string[];
  readonly iptables: readonly string[];
  readonly mounts: readonly string[];
}

function readSysctl(name: string): string | undefined {
  try {
    return readFileSync(join("/proc/sys", ...name.split(".")), "utf8").trim().replace(/\s+/g, " ");
  } catch {
    return undefined;
  }
}

function listing(path: string): string[] | null {
  try {
    return readdirSync(path).sort();
  } catch {
    return null;
  }
}

function mountPoints(): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => l.split(" ")[4]!)
    .sort();
}

/** Chains and rules of the host namespace's iptables that belong to Kubernetes or CNI. */
async function kubeIptables(): Promise<string[]> {
  const out = await sh("iptables-save", []);
  return out.split("\n").filter((l) => /KUBE-|CNI-/.test(l));
}

export async function hostSnapshot(): Promise<HostSnapshot> {
  const sysctls: Record<string, string> = {};
  for (const name of SYSCTLS) {
    const value = readSysctl(name);
    if (value !== undefined) sysctls[name] = value;
  }
  const paths: Record<string, string[] | null> = {};
  for (const p of HOST_PATHS) paths[p] = listing(p);
  const links = JSON.parse(await sh("ip", ["-j", "link", "show"])) as { ifname: string }[];
  return {
    sysctls,
    paths,
    interfaces: links.map((l) => l.ifname).sort(),
    netns: listing("/run/netns") ?? [],
    routes: (await sh("ip", ["route", "show"])).split("\n").filter((l) => l.length > 0).sort(),
    iptables: await kubeIptables(),
    mounts: mountPoints(),
  };
}

/** Processes whose command line names the suite's directory, or that run in the pods' cgroups. */
function suiteProcesses(layout: ClusterLayout): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      const cgroups = readFileSync(`/proc/${pid}/cgroup`, "utf8");
      const inPods = cgroups.split("\n").some((l) => l.split(":")[2]?.startsWith(`${layout.cgroupRoot}/`) ?? false);
      if (cmdline.includes(layout.dir) || inPods) found.push(`${pid} ${cmdline.slice(0, 200)}`);
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

function diff(what: string, before: readonly string[], after: readonly string[]): string[] {
  const was = new Set(before);
  return after.filter((x) => !was.has(x)).map((x) => `${what}: ${x}`);
}

/**
 * Everything the cluster left on the host compared with `before` (taken before it started):
 * an empty list after teardown is the contract.
 */
export async function leftovers(layout: ClusterLayout, before: HostSnapshot): Promise<string[]> {
  const now = await hostSnapshot();
  const found: string[] = [];
  for (const [name, value] of Object.entries(before.sysctls)) {
    if (now.sysctls[name] !== value) found.push(`sysctl ${name} = ${now.sysctls[name] ?? "(gone)"}, was ${value}`);
  }
  for (const [path, entries] of Object.entries(before.paths)) {
    const after = now.paths[path] ?? null;
    if (entries === null && after !== null) found.push(`host path ${path} was created`);
    if (entries !== null && after !== null) found.push(...diff(`new entry in ${path}`, entries, after));
  }
  // Other work on this machine may add interfaces, routes and mounts of its own meanwhile (an
  // image build, say): only what the cluster could have made counts.
  const net16 = `${layout.network16}.`;
  const ours = (s: string): boolean => s.includes(layout.dir) || s.includes(layout.hostInterface) || s.includes(net16);
  found.push(...diff("interface", before.interfaces, now.interfaces).filter((i) => /: (veth|cni)/.test(i) || ours(i)));
  found.push(...diff("network namespace", before.netns, now.netns));
  found.push(...diff("route", before.routes, now.routes).filter(ours));
  found.push(...diff("iptables", before.iptables, now.iptables));
  found.push(...diff("mount", before.mounts, now.mounts).filter((m) => ours(m) || /: \/(run\/netns|var\/lib\/kubelet|run\/containerd)\//.test(m)));
  found.push(...suiteProcesses(layout).map((p) => `process ${p}`));
  for (const hierarchy of listing("/sys/fs/cgroup") ?? []) {
    if (existsSync(join("/sys/fs/cgroup", hierarchy, layout.cgroupRoot))) found.push(`cgroup ${hierarchy}${layout.cgroupRoot}`);
  }
  if (existsSync(layout.dir)) found.push(`directory ${layout.dir}`);
  return found;
}

/** The state file teardown.sh reads; written before the first change to the host. */
export function writeTeardownState(
  file: string,
  layout: ClusterLayout,
  before: HostSnapshot,
  tools: { ctr: string; kubeProxy: string },
): void {
  const created = Object.entries(before.paths)
    .filter(([, entries]) => entries === null)
    .map(([path]) => path)
    // A parent before its children does not matter for rm -rf; keep only the outermost.
    .filter((path, _, all) => !all.some((other) => other !== path && path.startsWith(`${other}/`)));
  const q = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;
  const vars: Record<string, string> = {
    DIR: layout.dir,
    NETNS: layout.netns,
    HOST_IF: layout.hostInterface,
    CGROUP_ROOT: layout.cgroupRoot,
    CONTAINERD_SOCK: layout.paths.containerdSocket,
    CTR: tools.ctr,
    KUBE_PROXY: tools.kubeProxy,
    CNI_NETWORK: layout.cniNetwork,
    SYSCTLS: Object.entries(before.sysctls)
      .filter(([, v]) => !v.includes(" "))
      .map(([k, v]) => `${k}=${v}`)
      .join(" "),
    CREATED: created.join(" "),
  };
  writeFileSync(file, Object.entries(vars).map(([k, v]) => `${k}=${q(v)}\n`).join(""), { mode: 0o600 });
}

/** Fails with what to change when the cluster's addresses or names are already in use here. */
export function assertFree(layout: ClusterLayout, before: HostSnapshot): void {
  const net16 = `${layout.network16}.`;
  const clash = before.routes.find((r) => r.startsWith(net16) || r.includes(` ${net16}`));
  if (clash !== undefined) {
    throw new Error(`the host already routes "${clash}", which overlaps the cluster's ${net16}0.0/16: pass another network16`);
  }
  if (before.interfaces.includes(layout.hostInterface)) throw new Error(`interface ${layout.hostInterface} already exists: pass another name`);
  if (before.netns.includes(layout.netns)) throw new Error(`network namespace ${layout.netns} already exists: pass another name`);
}

/** The node's network namespace, the veth pair between it and the host, and the host's route to the pods. */
export async function createNodeNetwork(layout: ClusterLayout): Promise<void> {
  const inNs = (args: string[]): Promise<string> => sh("ip", ["-n", layout.netns, ...args]);
  await sh("ip", ["netns", "add", layout.netns]);
  await sh("ip", ["link", "add", layout.hostInterface, "type", "veth", "peer", "name", layout.nodeInterface, "netns", layout.netns]);
  await sh("ip", ["addr", "add", `${layout.hostIp}/${layout.linkPrefixLength}`, "dev", layout.hostInterface]);
  await sh("ip", ["link", "set", layout.hostInterface, "up"]);
  await inNs(["addr", "add", `${layout.nodeIp}/${layout.linkPrefixLength}`, "dev", layout.nodeInterface]);
  await inNs(["link", "set", layout.nodeInterface, "up"]);
  await inNs(["link", "set", "lo", "up"]);
  await sh("ip", ["route", "add", layout.podCidr, "via", layout.nodeIp, "dev", layout.hostInterface]);
}

/**
 * The cgroup the kubelet puts every pod under (`cgroupRoot`), in each mounted hierarchy: the
 * kubelet requires it to exist, and teardown finds every container process through it.
 */
export function createCgroupRoot(layout: ClusterLayout): void {
  const mounts = readFileSync("/proc/self/mountinfo", "utf8").split("\n");
  for (const line of mounts) {
    const [, rest] = line.split(" - ");
    const fstype = rest?.split(" ")[0];
    if (fstype !== "cgroup" && fstype !== "cgroup2") continue;
    const mountPoint = line.split(" ")[4]!;
    const dir = join(mountPoint, layout.cgroupRoot);
    mkdirSync(dir, { recursive: true });
    // A new cpuset cgroup starts with no CPUs and no memory nodes: give it its parent's.
    if (existsSync(join(dir, "cpuset.cpus")) && readFileSync(join(dir, "cpuset.cpus"), "utf8").trim() === "") {
      writeFileSync(join(dir, "cpuset.cpus"), readFileSync(join(mountPoint, "cpuset.cpus"), "utf8"));
      writeFileSync(join(dir, "cpuset.mems"), readFileSync(join(mountPoint, "cpuset.mems"), "utf8"));
    }
  }
}

