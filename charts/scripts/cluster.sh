#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# A relaylab testnet on a local Kubernetes cluster (kind or minikube): create the cluster, build
# and load the images, optionally install kube-prometheus-stack (Prometheus, Grafana with the
# dashboard sidecar), install the chart, apply an example Subnet and wait until it is Ready.
#
# Usage: charts/scripts/cluster.sh kind|minikube [--monitoring] [--subnet FILE] [--down]
#   --monitoring   also install kube-prometheus-stack and switch on the chart's PodMonitor,
#                  ServiceMonitor and PrometheusRule; Grafana: kubectl -n monitoring port-forward
#                  svc/kube-prometheus-stack-grafana 3000:80 (dashboards in folder "relaylab")
#   --subnet FILE  Subnet/DataCenter manifests to apply (default operator/examples/local.yaml)
#   --down         delete the cluster
# Needs: kind or minikube, kubectl, helm, npm, and a way to build the images (they are not
# published): docker (or CONTAINER_ENGINE=podman) for `npm run images`; without one, as root with
# Debian's buildah, debootstrap and runc, `npm run images:offline` builds the same Dockerfiles into
# OCI archives, which are loaded with `kind load image-archive` / `minikube image load`.
# Every step this script runs here is also covered on machines without a container engine:
# `npm run images:offline` builds and runs both images, `npm run lint:chart` renders the same chart with
# the values used below (charts/relaylab/ci/all-on-values.yaml), and the example Subnet is the
# local runner's default topology.
set -euo pipefail
cd "$(dirname "$0")/../.."

provider=${1:-}
shift || true
monitoring=false subnet=operator/examples/local.yaml down=false
while [[ $# -gt 0 ]]; do
  case $1 in
    --monitoring) monitoring=true ;;
    --subnet) subnet=$2; shift ;;
    --down) down=true ;;
    *) echo "cluster.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done

cluster=${RELAYLAB_CLUSTER:-relaylab}
namespace=relaylab
images=(ghcr.io/relaylab/node:0.1.0 ghcr.io/relaylab/operator:0.1.0)
log() { printf '%s cluster.sh: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

case $provider in
  kind)
    if $down; then kind delete cluster --name "$cluster"; exit 0; fi
    kind get clusters | grep -qx "$cluster" || kind create cluster --name "$cluster" --wait 120s
    kubectl config use-context "kind-$cluster"
    load() { kind load docker-image --name "$cluster" "$@"; }
    load_archive() { kind load image-archive --name "$cluster" "$1"; }
    ;;
  minikube)
    if $down; then minikube delete -p "$cluster"; exit 0; fi
    # Calico enforces NetworkPolicies (kind's default CNI kindnet does too since v0.24).
    minikube status -p "$cluster" >/dev/null 2>&1 || minikube start -p "$cluster" --cni=calico --cpus=4 --memory=8g
    kubectl config use-context "$cluster"
    load() { local i; for i in "$@"; do minikube -p "$cluster" image load "$i"; done; }
    load_archive() { minikube -p "$cluster" image load "$1"; }
    ;;
  *) echo "usage: cluster.sh kind|minikube [--monitoring] [--subnet FILE] [--down]" >&2; exit 2 ;;
esac

if command -v "${CONTAINER_ENGINE:-docker}" >/dev/null 2>&1; then
  log "building images with ${CONTAINER_ENGINE:-docker}"
  npm run images
  log "loading ${images[*]} into $provider"
  load "${images[@]}"
else
  log "no ${CONTAINER_ENGINE:-docker}: building images with buildah (npm run images:offline)"
  # One line per image: reference, OCI archive, sizes.
  built=$(npm run --silent images:offline)
  while IFS=$'\t' read -r ref archive _; do
    log "loading $ref ($archive) into $provider"
    load_archive "$archive"
  done <<<"$built"
fi

chart_args=(--namespace "$namespace" --create-namespace --wait --timeout 5m)
if $monitoring; then
  log "installing kube-prometheus-stack"
  helm repo add prometheus-community https://prometheus-community.github.io/helm-charts >/dev/null
  helm repo update prometheus-community >/dev/null
  # Select every PodMonitor/ServiceMonitor/PrometheusRule, not only the stack's own, and let the
  # Grafana sidecar pick up dashboards from every namespace.
  helm upgrade --install kube-prometheus-stack prometheus-community/kube-prometheus-stack \
    --namespace monitoring --create-namespace --wait --timeout 10m \
    --set prometheus.prometheusSpec.podMonitorSelectorNilUsesHelmValues=false \
    --set prometheus.prometheusSpec.serviceMonitorSelectorNilUsesHelmValues=false \
    --set prometheus.prometheusSpec.ruleSelectorNilUsesHelmValues=false \
    --set grafana.sidecar.dashboards.searchNamespace=ALL \
    --set grafana.sidecar.dashboards.folderAnnotation=grafana_folder \
    --set grafana.sidecar.dashboards.provider.foldersFromFilesStructure=true
  # The operator makes one PodMonitor per Subnet (podMonitor.owner=operator, the default).
  chart_args+=(--set serviceMonitor.enabled=true --set prometheusRule.enabled=true)
fi

log "installing charts/relaylab"
helm upgrade --install relaylab charts/relaylab "${chart_args[@]}"

log "applying $subnet"
kubectl apply -f "$subnet"
for s in $(kubectl get subnets --all-namespaces -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}{" "}{end}'); do
  log "waiting for Subnet $s to be Ready"
  kubectl wait --namespace "${s%%/*}" "subnet/${s##*/}" --for=condition=Ready --timeout=15m
done
log "done: kubectl get subnets -A; relaylab dashboards are in Grafana's relaylab folder"
