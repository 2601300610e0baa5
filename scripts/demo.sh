#!/usr/bin/env bash
# The README's first command: records loopback traffic end to end on this machine — a real
# kube-apiserver, the operator and one agent — and prints the Recording's status and the files.
# Sets up what is missing first (apt packages, Node 24, Go, the control plane's binaries, npm ci);
# the first run on a fresh machine spends most of its time compiling kube-apiserver and etcd.
set -euo pipefail
exec </dev/null
source "$(dirname "${BASH_SOURCE[0]}")/platform/setup.sh"
cd "$TAPEDECK_ROOT"
tapedeck_setup apt node go
tapedeck_setup_tools etcd kubernetes
tapedeck_setup npm
exec npm run demo -- "$@"
