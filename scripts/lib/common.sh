# Shared by scripts/*: locate the toolchain and install missing system packages.
# Sourced, not executed.

repo_root() { cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd; }

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }

ensure_swift() {
    if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
        export PATH="/opt/swift/usr/bin:$PATH"
    fi
    command -v swift >/dev/null 2>&1 || { log "swift not found: install Swift 6 (https://swift.org/install)"; exit 1; }
}

APT_UPDATED=0
apt_install() {
    if [ "$(id -u)" != 0 ]; then
        log "missing packages: $*; install them (as root: apt-get install -y $*) and run again"
        exit 1
    fi
    if [ "$APT_UPDATED" = 0 ]; then
        log "apt-get update"
        apt-get update -qq >/dev/null
        APT_UPDATED=1
    fi
    log "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# C libraries the package links against (libpq, OpenSSL, zlib) and pkg-config to find them.
ensure_build_deps() {
    ensure_swift
    local missing=()
    command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
    pkg-config --exists libpq 2>/dev/null || missing+=(libpq-dev)
    pkg-config --exists openssl 2>/dev/null || missing+=(libssl-dev)
    pkg-config --exists zlib 2>/dev/null || missing+=(zlib1g-dev)
    if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
}

ensure_command() { # ensure_command COMMAND DEBIAN_PACKAGE
    command -v "$1" >/dev/null 2>&1 || apt_install "$2"
}

# A command from PyPI, installed when missing: ensure_pip_command COMMAND PACKAGE. Commands land
# next to the interpreter's scripts or in ~/.local/bin, which are added to PATH.
ensure_pip_command() {
    PATH="$PATH:$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$HOME/.local/bin"
    export PATH
    command -v "$1" >/dev/null 2>&1 && return 0
    log "pip install $2"
    python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
    # Debian's own Python refuses system-wide installs (PEP 668) unless told otherwise.
    python3 -m pip install -q "$2" >/dev/null 2>&1 \
        || python3 -m pip install -q --break-system-packages "$2" >/dev/null 2>&1 \
        || { log "cannot install $2 from PyPI"; return 1; }
}

# A TCP port nobody listens on right now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# swift build with its progress lines hidden; fails when the build fails (a stale binary or test
# bundle from an earlier build must never be run instead). With FAIL_ON_WARNINGS=1 (the tests)
# a compiler warning in the project's own sources fails it too: the code stays warning-free.
swift_build() {
    local status out
    out=$(mktemp)
    set +e
    swift build "$@" 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' | tee "$out"
    status=${PIPESTATUS[0]}
    set -e
    if [ "$status" != 0 ]; then log "swift build $* failed (exit $status)"; rm -f "$out"; return "$status"; fi
    if [ "${FAIL_ON_WARNINGS:-}" = 1 ] && grep -E "^$(pwd)/(Sources|Tests)/.*: warning:" "$out" >/dev/null; then
        log "swift build $*: compiler warnings in the project's sources (above); fix them"
        rm -f "$out"
        return 1
    fi
    rm -f "$out"
    return 0
}
