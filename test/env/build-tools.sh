#!/usr/bin/env bash
# Builds the test environment's binaries from published Go modules and caches
# them by version under $TAPEDECK_CACHE (default ~/.cache/tapedeck), outside
# the clone, so a second run (and CI on the same machine) skips the build.
# Prints the bin directory of each tool on success. Safe to run concurrently
# with itself only for different tools; .ci/run calls it once.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${TAPEDECK_CACHE:-$HOME/.cache/tapedeck}
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-trimpath

# Pinned versions: change here and in test/env/versions.ts together.
K8S_VERSION=1.35.4
ETCD_VERSION=3.6.14
HELM_VERSION=3.21.4
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c # newest commit the module proxy serves (archived repo); RELEASE.2025-10-15T17-29-55Z gets 403 "not available"
FAKE_GCS_VERSION=1.55.1
MC_VERSION=v0.0.0-20250313080218-cf909e1063a9 # MinIO's admin client (mc admin user disable), newest the proxy serves
GRPCURL_VERSION=1.9.3
CILIUM_VERSION=1.18.11 # newest 1.18.x the module proxy serves; `hubble record` was removed in 1.19

log() { printf '[build-tools] %s\n' "$*" >&2; }

# built NAME VERSION BINARY... -> true when every binary is already cached
built() {
  local dir="$cache/bin/$1/$2"; shift 2
  local b
  for b in "$@"; do [ -x "$dir/$b" ] || return 1; done
}

build_kubernetes() {
  local out="$cache/bin/kubernetes/$K8S_VERSION"
  built kubernetes "$K8S_VERSION" kube-apiserver kube-controller-manager kubectl && return 0
  log "Building kube-apiserver, kube-controller-manager, kubectl v$K8S_VERSION (slow when cold)"
  local minor=${K8S_VERSION#*.}; minor=${minor%%.*}
  local now; now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  local ld="-s -w"
  local pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$now"
  done
  mkdir -p "$out.tmp"
  (cd "$here/go/kubernetes" && go build -ldflags "$ld" -o "$out.tmp/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl)
  rm -rf "$out" && mv "$out.tmp" "$out"
}

build_etcd() {
  local out="$cache/bin/etcd/$ETCD_VERSION"
  built etcd "$ETCD_VERSION" etcd && return 0
  log "Building etcd v$ETCD_VERSION"
  mkdir -p "$out.tmp"
  (cd "$here/go/etcd" && go build -ldflags "-s -w" -o "$out.tmp/etcd" .)
  rm -rf "$out" && mv "$out.tmp" "$out"
}

# The real hubble CLI plus recorder-client (go/hubble-client/recorder-client, on
# Cilium's generated recorder API). recorder-client is our own source, so the
# cache also records a hash of the wrapper module and rebuilds when it changes.
build_hubble() {
  local out="$cache/bin/hubble/$CILIUM_VERSION" src="$here/go/hubble-client"
  local sum; sum=$(cd "$src" && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
  built hubble "$CILIUM_VERSION" hubble recorder-client && [ "$(cat "$out/.source-sha256" 2>/dev/null)" = "$sum" ] && return 0
  log "Building hubble and recorder-client from cilium v$CILIUM_VERSION"
  mkdir -p "$out.tmp"
  (cd "$src" && go build -ldflags "-s -w -X github.com/cilium/cilium/hubble/pkg.Version=v$CILIUM_VERSION" \
    -o "$out.tmp/hubble" github.com/cilium/cilium/hubble)
  (cd "$src" && go build -ldflags "-s -w" -o "$out.tmp/recorder-client" ./recorder-client)
  printf '%s\n' "$sum" >"$out.tmp/.source-sha256"
  rm -rf "$out" && mv "$out.tmp" "$out"
}

# go_install NAME VERSION BINARY MODULE@VERSION
go_install() {
  local out="$cache/bin/$1/$2"
  built "$1" "$2" "$3" && return 0
  log "Building $3 $2"
  mkdir -p "$out.tmp"
  GOBIN="$out.tmp" go install -ldflags "-s -w" "$4"
  rm -rf "$out" && mv "$out.tmp" "$out"
}

only=${1:-all}
case $only in
  all|etcd) build_etcd ;;&
  all|kubernetes) build_kubernetes ;;&
  all|helm) go_install helm "$HELM_VERSION" helm "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION" ;;&
  all|fake-gcs-server) go_install fake-gcs-server "$FAKE_GCS_VERSION" fake-gcs-server "github.com/fsouza/fake-gcs-server@v$FAKE_GCS_VERSION" ;;&
  all|grpcurl) go_install grpcurl "$GRPCURL_VERSION" grpcurl "github.com/fullstorydev/grpcurl/cmd/grpcurl@v$GRPCURL_VERSION" ;;&
  all|minio) go_install minio "$MINIO_VERSION" minio "github.com/minio/minio@$MINIO_VERSION" ;;&
  all|mc) go_install mc "$MC_VERSION" mc "github.com/minio/mc@$MC_VERSION" ;;&
  all|hubble) build_hubble ;;&
  *) ;;
esac
log "All tools present under $cache/bin"
