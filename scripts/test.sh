#!/usr/bin/env bash
# The README's second command: the whole test suite (unit, integration, e2e) against a real
# kube-apiserver, MinIO and fake-gcs-server. Sets up what is missing first (apt packages, Node 24,
# Go, every Go-built test binary, npm ci); arguments go to vitest (e.g. `--project unit`).
set -euo pipefail
exec </dev/null
source "$(dirname "${BASH_SOURCE[0]}")/platform/setup.sh"
cd "$TAPEDECK_ROOT"
tapedeck_setup apt node go tools npm
exec npm test -- "$@"
