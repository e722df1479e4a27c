// SPDX-License-Identifier: Apache-2.0
/**
 * Names, addresses, ports and paths of one real single-node cluster. The node lives in a network
 * namespace of its own, joined to the host by one veth pair on a /30: every cluster process
 * (etcd, kube-apiserver, controllers, containerd, kubelet, kube-proxy, CoreDNS) runs inside it,
 * so its ports, iptables chains, bridge and sysctls such as ip_forward never touch the host's.
 * The host gets one route, to the pod range through the veth, so tests can reach pods. The
 * namespace has no default route: no pod or node traffic can leave the machine.
 */
import { join } from "node:path";

/** What a caller may choose; everything else follows from it. */
export interface LayoutOptions {
  /**
   * Prefix of names on the host: network namespace, cgroup root, CNI network. Default
   * "relaylab-cluster".
   */
  readonly name?: string;
  /**
   * First two octets of the private /16 the cluster uses, e.g. "10.211" (the default): pods in
   * x.y.0.0/24, Services in x.y.128.0/24, the host-node link in x.y.255.0/30. It must not
   * overlap a network this machine routes.
   */
  readonly network16?: string;
}

export interface ClusterLayout {
  readonly dir: string;
  readonly name: string;
  readonly netns: string;
  /** `/run/netns/<netns>`, for nsenter. */
  readonly netnsPath: string;
  /** Host end of the veth pair (15 characters at most). */
  readonly hostInterface: string;
  /** Node end, inside the namespace. */
  readonly nodeInterface: string;
  /** The CNI bridge, inside the namespace. */
  readonly bridge: string;
  readonly nodeName: string;
  /** cgroup (in every hierarchy) under which the kubelet creates the pods' cgroups. */
  readonly cgroupRoot: string;
  readonly cniNetwork: string;
  /** The first two octets of every cluster address, e.g. "10.211". */
  readonly network16: string;
  readonly hostIp: string;
  readonly nodeIp: string;
  readonly linkPrefixLength: number;
  /** Pod addresses; the host routes this range into the namespace, nothing else does. */
  readonly podCidr: string;
  readonly podGateway: string;
  readonly serviceCidr: string;
  /** ClusterIP of the `kubernetes` Service. */
  readonly apiServiceIp: string;
  /** ClusterIP of `kube-system/kube-dns`. */
  readonly dnsServiceIp: string;
  readonly clusterDomain: string;
  readonly ports: {
    readonly etcdClient: number;
    readonly etcdPeer: number;
    readonly apiServer: number;
    readonly controllerManager: number;
    readonly scheduler: number;
    readonly kubelet: number;
    readonly kubeletHealthz: number;
    readonly proxyHealthz: number;
    readonly proxyMetrics: number;
    readonly dnsHealth: number;
    readonly dnsReady: number;
  };
  readonly paths: {
    readonly containerdSocket: string;
    readonly containerdConfig: string;
    readonly containerdRoot: string;
    readonly containerdState: string;
    readonly runcRoot: string;
    readonly cniConfDir: string;
    readonly cniDataDir: string;
    readonly kubeletRoot: string;
    readonly kubeletConfig: string;
    readonly podLogs: string;
    readonly proxyConfig: string;
    readonly corefile: string;
    readonly etcdData: string;
    readonly tokens: string;
  };
}

/** A /16 prefix such as "10.211": two octets, each 0..255. */
function checkNetwork16(value: string): string {
  const octets = value.split(".");
  if (octets.length !== 2 || octets.some((o) => !/^\d{1,3}$/.test(o) || Number(o) > 255)) {
    throw new Error(`network16 must be two octets such as "10.211", not "${value}"`);
  }
  return value;
}

export function clusterLayout(dir: string, options: LayoutOptions = {}): ClusterLayout {
  const name = options.name ?? "relaylab-cluster";
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(name)) throw new Error(`cluster name must match [a-z][a-z0-9-]{0,30}, not "${name}"`);
  const net = checkNetwork16(options.network16 ?? "10.211");
  const netns = name;
  return {
    dir,
    name,
    netns,
    netnsPath: `/run/netns/${netns}`,
    hostInterface: `veth-${name}`.slice(0, 15),
    nodeInterface: "eth0",
    bridge: "cni0",
    nodeName: `${name}-node`,
    cgroupRoot: `/${name}`,
    cniNetwork: name,
    network16: net,
    hostIp: `${net}.255.1`,
    nodeIp: `${net}.255.2`,
    linkPrefixLength: 30,
    podCidr: `${net}.0.0/24`,
    podGateway: `${net}.0.1`,
    serviceCidr: `${net}.128.0/24`,
    apiServiceIp: `${net}.128.1`,
    dnsServiceIp: `${net}.128.10`,
    clusterDomain: "cluster.local",
    // Fixed, upstream's defaults: they exist only inside the cluster's own network namespace.
    ports: {
      etcdClient: 2379,
      etcdPeer: 2380,
      apiServer: 6443,
      controllerManager: 10257,
      scheduler: 10259,
      kubelet: 10250,
      kubeletHealthz: 10248,
      proxyHealthz: 10256,
      proxyMetrics: 10249,
      dnsHealth: 8080,
      dnsReady: 8181,
    },
    paths: {
      containerdSocket: join(dir, "containerd", "containerd.sock"),
      containerdConfig: join(dir, "containerd", "config.toml"),
      containerdRoot: join(dir, "containerd", "root"),
      containerdState: join(dir, "containerd", "state"),
      runcRoot: join(dir, "runc"),
      cniConfDir: join(dir, "cni", "net.d"),
      cniDataDir: join(dir, "cni", "networks"),
      kubeletRoot: join(dir, "kubelet"),
      kubeletConfig: join(dir, "kubelet-config.json"),
      podLogs: join(dir, "pod-logs"),
      proxyConfig: join(dir, "kube-proxy-config.json"),
      corefile: join(dir, "Corefile"),
      etcdData: join(dir, "etcd"),
      tokens: join(dir, "tokens.csv"),
    },
  };
}
