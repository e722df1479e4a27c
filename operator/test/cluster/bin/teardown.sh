#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Tears down one real single-node cluster (operator/test/cluster) from its state file, written by
# the harness before it changes anything on the host. Idempotent and best effort: every step
# runs even when an earlier one failed, and the exit code says whether all of them succeeded.
# The harness runs it on stop; its watchdog runs it when the test process died without stopping;
# the next start runs it when a state file is still there.
#
# Usage: teardown.sh STATE_FILE
#
# The state file (bash assignments) names: DIR (the suite's directory), NETNS, HOST_IF,
# CGROUP_ROOT, CONTAINERD_SOCK, CTR, KUBE_PROXY, CNI_NETWORK, SYSCTLS (name=value pairs to
# restore), CREATED (host paths that did not exist before the cluster started).
set -uo pipefail

state=${1:?usage: teardown.sh STATE_FILE}
[[ -f $state ]] || exit 0
# shellcheck disable=SC1090
source "$state"
failures=0
log() { printf '%s teardown: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
fail() { log "error: $*"; failures=$((failures + 1)); }
in_ns() { nsenter --net="/run/netns/$NETNS" -- "$@"; }
ns_exists() { [[ -e /run/netns/$NETNS ]]; }

# stop NAME...: SIGTERM the harness-started processes (pid files in $DIR/pids), SIGKILL after 15 s.
stop() {
  local name pid pids=()
  for name in "$@"; do
    [[ -f $DIR/pids/$name ]] || continue
    pid=$(cat "$DIR/pids/$name")
    kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
  done
  local deadline=$((SECONDS + 15))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  for name in "$@"; do rm -f "$DIR/pids/$name"; done
}

# The kubelet first, so that it starts no container while the others go.
stop kubelet
stop kube-proxy coredns kube-scheduler kube-controller-manager

# Containers through containerd while it still runs: this also ends their shims cleanly and
# unmounts their root filesystems.
if [[ -S $CONTAINERD_SOCK ]]; then
  ctr=("$CTR" --address "$CONTAINERD_SOCK" --namespace k8s.io)
  for task in $("${ctr[@]}" tasks list --quiet 2>/dev/null); do
    "${ctr[@]}" tasks kill --signal SIGKILL --all "$task" >/dev/null 2>&1
  done
  for task in $("${ctr[@]}" tasks list --quiet 2>/dev/null); do
    "${ctr[@]}" tasks delete --force "$task" >/dev/null 2>&1 || log "task $task: delete failed"
  done
  for container in $("${ctr[@]}" containers list --quiet 2>/dev/null); do
    "${ctr[@]}" containers delete "$container" >/dev/null 2>&1 || true
  done
fi
stop containerd

# Shims outlive containerd: find them by their -address argument, end them by pid.
for pid in $(pgrep -f -- "-address $CONTAINERD_SOCK( |$)"); do kill -KILL "$pid" 2>/dev/null; done

# Whatever still runs in the pods' cgroups (a container whose shim was killed), then the cgroups.
for root in /sys/fs/cgroup/*"$CGROUP_ROOT"; do
  [[ -d $root ]] || continue
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    pids=$(find "$root" -name cgroup.procs -exec cat {} + 2>/dev/null)
    [[ -z $pids ]] && break
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null
    sleep 0.2
  done
done
for root in /sys/fs/cgroup/*"$CGROUP_ROOT"; do
  [[ -d $root ]] || continue
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    find "$root" -depth -type d -exec rmdir {} + 2>/dev/null
    [[ -d $root ]] || break
    sleep 0.3
  done
  [[ -d $root ]] && fail "cgroup $root is still there"
done

# kube-proxy's and the kubelet's iptables chains (KUBE-*, KUBE-FIREWALL included) live in the
# node's namespace; remove them explicitly before the namespace goes.
if ns_exists; then
  in_ns "$KUBE_PROXY" --cleanup >/dev/null 2>&1 || log "kube-proxy --cleanup reported an error (continuing)"
  # What --cleanup leaves (the kubelet's KUBE-FIREWALL and canaries, the CNI plugins' chains):
  # each table restored without them.
  for table in filter nat mangle; do
    if in_ns iptables-save -t "$table" 2>/dev/null | grep -q -- '\(KUBE\|CNI\)-'; then
      in_ns sh -c "iptables-save -t $table | grep -v -e '^:KUBE-' -e '^:CNI-' -e 'KUBE-' -e 'CNI-' | iptables-restore -T $table" ||
        fail "cannot remove the KUBE-/CNI- chains of table $table"
    fi
  done
fi

stop kube-apiserver etcd

# Mounts under the suite's directory (pod volumes, container root filesystems, pod network
# namespaces, the kubelet's shared bind of its root), deepest first.
mapfile -t mounts < <(awk -v d="$DIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
for m in "${mounts[@]}"; do
  umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || fail "cannot unmount $m"
done

# The namespace takes its interfaces (the veth pair, the bridge, the pods' veths) and its
# iptables rules with it.
if ns_exists; then ip netns delete "$NETNS" || fail "cannot delete network namespace $NETNS"; fi
# The host end goes with its peer, though not at once.
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  ip link show "$HOST_IF" >/dev/null 2>&1 || break
  ip link delete "$HOST_IF" >/dev/null 2>&1 || sleep 0.2
done
if ip link show "$HOST_IF" >/dev/null 2>&1; then fail "cannot delete interface $HOST_IF"; fi

# Files the kubelet, containerd and the CNI plugins write outside the suite's directory.
for link in /var/log/containers/*; do
  [[ -L $link && $(readlink "$link") == "$DIR/"* ]] && rm -f "$link"
done
rm -f /var/lib/cni/results/"$CNI_NETWORK"-* 2>/dev/null
if [[ -d /run/containerd/s ]]; then
  for socket in /run/containerd/s/*; do
    [[ -S $socket ]] || continue
    grep -q " $socket\$" /proc/net/unix || rm -f "$socket"
  done
fi
# shellcheck disable=SC2206
created=($CREATED)
for path in "${created[@]}"; do
  # `ip netns add` bind-mounts /run/netns onto itself on first use: a mount point is not removable.
  if mountpoint -q "$path" 2>/dev/null; then umount "$path" 2>/dev/null || umount -l "$path" 2>/dev/null || fail "cannot unmount $path"; fi
  rm -rf "$path" 2>/dev/null
  [[ -e $path ]] && fail "cannot remove $path"
done

# Host-wide sysctls the kubelet sets (vm.overcommit_memory, kernel.panic, ...): back as they were.
# shellcheck disable=SC2206
sysctls=($SYSCTLS)
for pair in "${sysctls[@]}"; do
  name=${pair%%=*} value=${pair#*=}
  [[ $(sysctl -n "$name" 2>/dev/null) == "$value" ]] || sysctl -q -w "$name=$value" >/dev/null || fail "cannot restore $name=$value"
done

rm -rf "$DIR" || fail "cannot remove $DIR"
if [[ $failures -eq 0 ]]; then rm -f "$state"; else log "$failures step(s) failed; $state kept for the next run"; fi
exit $((failures > 0))
