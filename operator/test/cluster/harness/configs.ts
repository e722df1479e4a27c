// SPDX-License-Identifier: Apache-2.0
/**
 * Pure builders of the node components' configuration files and of the objects the cluster needs
 * before its first pod (CoreDNS's RBAC, the selector-less kube-dns Service and its
 * EndpointSlice). Each setting that differs from upstream's default says why.
 */
import type { ClusterLayout } from "./layout.js";

/** containerd 2.x (config version 3). State, root, sockets and runc's state live in the suite's directory. */
export function containerdConfig(layout: ClusterLayout, sandboxImage: string, runc: string): string {
  const { paths } = layout;
  const cri = "plugins.'io.containerd.cri.v1.runtime'";
  return `version = 3
root = ${JSON.stringify(paths.containerdRoot)}
state = ${JSON.stringify(paths.containerdState)}
# NRI would open a socket under /var/run/nri; nothing here uses it.
disabled_plugins = ["io.containerd.nri.v1.nri"]

[grpc]
  address = ${JSON.stringify(paths.containerdSocket)}

[ttrpc]
  address = ${JSON.stringify(`${paths.containerdSocket}.ttrpc`)}

[plugins.'io.containerd.internal.v1.opt']
  path = ${JSON.stringify(`${paths.containerdRoot}/opt`)}

[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    # Built locally and imported: there is no registry to pull registry.k8s.io/pause from.
    sandbox = ${JSON.stringify(sandboxImage)}

[${cri}]
  # The VM lacks CAP_SYS_RESOURCE: without this the first sandbox fails with
  # "runc create failed: ... can't get final child's PID from pipe: EOF".
  restrict_oom_score_adj = true
  disable_apparmor = true
  # Pod network namespaces under the state directory instead of /run/netns.
  netns_mounts_under_state_dir = true
  # No devices to inject; the default spec directories are the host's /etc/cdi and /var/run/cdi.
  cdi_spec_dirs = []
  [${cri}.containerd]
    default_runtime_name = "runc"
    [${cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [${cri}.containerd.runtimes.runc.options]
        # There is no systemd: the kubelet uses the cgroupfs driver too.
        SystemdCgroup = false
        BinaryName = ${JSON.stringify(runc)}
        Root = ${JSON.stringify(paths.runcRoot)}
  [${cri}.cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = ${JSON.stringify(paths.cniConfDir)}
    max_conf_num = 1
`;
}

/** The pod network: a bridge in the node's namespace, addresses from host-local IPAM (state in the suite's directory). */
export function cniConfig(layout: ClusterLayout): object {
  return {
    cniVersion: "1.0.0",
    name: layout.cniNetwork,
    plugins: [
      {
        type: "bridge",
        bridge: layout.bridge,
        isGateway: true,
        // Pods reach only the node and the host end of the link, which route the pod range back.
        ipMasq: false,
        // A pod reaching itself through a Service comes back over its own bridge port.
        hairpinMode: true,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: layout.podCidr, gateway: layout.podGateway }]],
          routes: [{ dst: "0.0.0.0/0" }],
          dataDir: layout.paths.cniDataDir,
        },
      },
      { type: "portmap", capabilities: { portMappings: true } },
    ],
  };
}

export function kubeletConfig(layout: ClusterLayout, clientCaFile: string): object {
  return {
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    // The machine has cgroup v1 (hybrid); 1.35+ refuses it unless told otherwise.
    failCgroupV1: false,
    cgroupDriver: "cgroupfs",
    cgroupRoot: layout.cgroupRoot,
    failSwapOn: false,
    address: layout.nodeIp,
    port: layout.ports.kubelet,
    readOnlyPort: 0,
    healthzBindAddress: layout.nodeIp,
    healthzPort: layout.ports.kubeletHealthz,
    // kube-apiserver authenticates with a client certificate of the suite's CA (logs, exec).
    authentication: { x509: { clientCAFile: clientCaFile }, webhook: { enabled: false }, anonymous: { enabled: false } },
    authorization: { mode: "AlwaysAllow" },
    clusterDNS: [layout.dnsServiceIp],
    clusterDomain: layout.clusterDomain,
    containerRuntimeEndpoint: `unix://${layout.paths.containerdSocket}`,
    podLogsDir: layout.paths.podLogs,
    // Pods get the cluster's resolver and search list only, nothing of the host's.
    resolvConf: "",
    // Disk and memory are shared with other work on this machine: evict only when truly short.
    evictionHard: { "memory.available": "100Mi", "nodefs.available": "2%", "imagefs.available": "2%", "nodefs.inodesFree": "2%" },
    serializeImagePulls: false,
    registerNode: true,
  };
}

export function kubeProxyConfig(layout: ClusterLayout, kubeconfig: string): object {
  return {
    apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
    kind: "KubeProxyConfiguration",
    mode: "iptables",
    clusterCIDR: layout.podCidr,
    hostnameOverride: layout.nodeName,
    bindAddress: layout.nodeIp,
    healthzBindAddress: `${layout.nodeIp}:${layout.ports.proxyHealthz}`,
    metricsBindAddress: `127.0.0.1:${layout.ports.proxyMetrics}`,
    clientConnection: { kubeconfig },
    // Zero leaves the conntrack sysctls alone: nf_conntrack_max is global to the machine.
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: "0s", tcpCloseWaitTimeout: "0s" },
    // NodePorts on 127.0.0.1 would need route_localnet; nothing uses them.
    iptables: { localhostNodePorts: false },
    detectLocalMode: "ClusterCIDR",
  };
}

/**
 * CoreDNS as a host process of the node, on the node IP: cluster names from the API, other
 * names forwarded (the namespace has no route off the machine, so they fail fast).
 */
export function corefile(layout: ClusterLayout, kubeconfig: string, context: string): string {
  return `.:53 {
    bind ${layout.nodeIp}
    errors
    log . "{remote} {type} {name} {rcode} {duration}"
    health ${layout.nodeIp}:${layout.ports.dnsHealth}
    ready ${layout.nodeIp}:${layout.ports.dnsReady}
    kubernetes ${layout.clusterDomain} in-addr.arpa ip6.arpa {
        kubeconfig ${kubeconfig} ${context}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }
    forward . /etc/resolv.conf
    cache 5
    loop
    reload
}
`;
}

/** The user CoreDNS authenticates as, and upstream's `system:coredns` ClusterRole bound to it. */
export const COREDNS_USER = "system:coredns";

export function coreDnsRbac(): { clusterRole: object; binding: object } {
  return {
    clusterRole: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "system:coredns" },
      rules: [
        { apiGroups: [""], resources: ["endpoints", "services", "pods", "namespaces"], verbs: ["list", "watch"] },
        { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
      ],
    },
    binding: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "system:coredns" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:coredns" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: COREDNS_USER }],
    },
  };
}

/**
 * `kube-system/kube-dns` without a selector, and the EndpointSlice that points it at CoreDNS on
 * the node IP (what the EndpointSlice controller would write for a CoreDNS pod).
 */
export function kubeDnsObjects(layout: ClusterLayout): { service: object; endpointSlice: object } {
  const ports = [
    { name: "dns", port: 53, protocol: "UDP" },
    { name: "dns-tcp", port: 53, protocol: "TCP" },
  ];
  return {
    service: {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "kube-dns", namespace: "kube-system", labels: { "k8s-app": "kube-dns" } },
      spec: { clusterIP: layout.dnsServiceIp, ports: ports.map((p) => ({ ...p, targetPort: 53 })) },
    },
    endpointSlice: {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: "kube-dns-node",
        namespace: "kube-system",
        labels: { "kubernetes.io/service-name": "kube-dns", "endpointslice.kubernetes.io/managed-by": "relaylab-test-harness" },
      },
      addressType: "IPv4",
      endpoints: [{ addresses: [layout.nodeIp], conditions: { ready: true }, nodeName: layout.nodeName }],
      ports,
    },
  };
}
