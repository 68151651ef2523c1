#!/usr/bin/env bash
# The real-engine toolchain for the test suite, built from Go modules (nothing else is downloaded):
# the Pulumi CLI + Python language host, the command/docker/kubernetes provider plugins at exactly
# the versions the Python SDKs ask for, kube-apiserver + etcd for the kind stand-in, containerd 2
# for its node image, and kind itself (its own config loader and containerd patch code).
#
#   bash tests/harness/toolchain.sh build [PIECE...]   # build what is missing, print times
#   eval "$(bash tests/harness/toolchain.sh env)"   # build if needed, then export PATH and PULUMI_*
#   bash tests/harness/toolchain.sh cached-env   # the same exports, or exit 1 when a piece is not built
#   bash tests/harness/toolchain.sh path PIECE   # the bin folder of a built piece
#   bash tests/harness/toolchain.sh status  # what is cached, where, how big
#
# Versions: tests/harness/toolchain/versions.env. Each piece is cached outside the checkout under
# ${KINDPLANE_TOOLCHAIN_CACHE:-~/.cache/kindplane-toolchain}/<piece>-<hash>/bin, the hash covering
# the versions.env lines whose variables the piece's build script names, the build script and
# the piece's wrapper module (not its Go tests): a change rebuilds that piece only. The pieces
# build side by side (KINDPLANE_TOOLCHAIN_JOBS at a time, default 3): most of a cold build is
# module downloads and single-threaded steps that leave the second core idle. The providers are
# installed into a plugin cache (PULUMI_HOME) pulumi-home-<hash of the three provider pieces' hashes>.
# A `pulumi` already on PATH (a laptop) is used as it is and the CLI piece is not built.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SPEC="$HERE/toolchain"
CACHE="${KINDPLANE_TOOLCHAIN_CACHE:-$HOME/.cache/kindplane-toolchain}"
# Longest first: with several builds at once, the slowest one starts at the beginning.
PIECES=(kubernetes docker pulumi containerd kube registry kind readers command)
JOBS="${KINDPLANE_TOOLCHAIN_JOBS:-3}"

say() { echo "toolchain: $*" >&2; }

piece_versions() {
    # The versions.env lines whose variable the piece's build script names (outside comments):
    # bumping one tool rebuilds the pieces that use it, not all of them.
    local piece="$1" line name code
    code="$(grep -v '^[[:space:]]*#' "$SPEC/build_$piece.sh")"
    while IFS= read -r line; do
        name="${line%%=*}"
        if grep -qw -- "$name" <<<"$code"; then
            echo "$line"
        fi
    done < <(grep -E '^[A-Z_][A-Z0-9_]*=' "$SPEC/versions.env")
}

piece_key() {
    local piece="$1"
    {
        piece_versions "$piece"
        cat "$SPEC/build_$piece.sh"
        if [ -d "$SPEC/$piece" ]; then
            # Go tests do not go into the binaries: adding one rebuilds nothing.
            (cd "$SPEC/$piece" && find . -type f ! -name '*.log' ! -name '*_test.go' | LC_ALL=C sort | xargs sha256sum)
        fi
    } | sha256sum | cut -c1-12
}

piece_dir() { echo "$CACHE/$1-$(piece_key "$1")"; }

system_pulumi() {
    # A pulumi on PATH that is not one of ours counts as installed by the user.
    local found
    found="$(command -v pulumi 2>/dev/null || true)"
    [ -n "$found" ] && [[ "$found" != "$CACHE"/* ]]
}

wanted_pieces() {
    local piece
    for piece in "${PIECES[@]}"; do
        if [ "$piece" = pulumi ] && system_pulumi; then
            continue
        fi
        echo "$piece"
    done
}

build_piece() {
    local piece="$1" dir started lock
    dir="$(piece_dir "$piece")"
    if [ -f "$dir/.complete" ]; then
        say "$piece: cached in $dir"
        return 0
    fi
    # One builder per piece (a test may ask for a piece while .ci/run builds it): the others wait.
    mkdir -p "$CACHE"
    exec {lock}>"$dir.lock"
    flock "$lock"
    if [ -f "$dir/.complete" ]; then
        say "$piece: built by another run in $dir"
        return 0
    fi
    rm -rf "$dir"
    mkdir -p "$dir/bin"
    started=$(date +%s)
    say "$piece: building into $dir (log: $dir/build.log)"
    if ! bash "$SPEC/build_$piece.sh" "$dir/bin" >"$dir/build.log" 2>&1; then
        tail -n 40 "$dir/build.log" >&2
        say "$piece: BUILD FAILED after $(( $(date +%s) - started )) s"
        return 1
    fi
    grep '^toolchain:' "$dir/build.log" >&2 || true
    echo "$(( $(date +%s) - started ))" >"$dir/.complete"
    say "$piece: built in $(cat "$dir/.complete") s"
}

build_all() {
    local piece started failed=() built=()
    started=$(date +%s)
    export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
    if system_pulumi; then
        say "using the Pulumi CLI on PATH: $(command -v pulumi) ($(pulumi version 2>/dev/null || echo '?'))"
    fi
    for piece in $(wanted_pieces); do
        if [ $# -gt 0 ] && [[ " $* " != *" $piece "* ]]; then
            continue
        fi
        while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
            wait -n || true
        done
        build_piece "$piece" &
        built+=("$piece")
    done
    wait
    # Each build marks its folder complete on success: that, not an exit status, is the verdict.
    for piece in "${built[@]}"; do
        [ -f "$(piece_dir "$piece")/.complete" ] || failed+=("$piece")
    done
    if [ ${#failed[@]} -gt 0 ]; then
        say "${failed[*]}: FAILED ($(( $(date +%s) - started )) s)"
        return 1
    fi
    say "ready in $(( $(date +%s) - started )) s"
}

pulumi_home() {
    # One plugin cache per set of provider builds: a provider rebuilt at the same version (new
    # code, same version number) goes into a new cache instead of being skipped as installed, and
    # a run that uses the old cache is never changed under it. Old caches are left in place.
    local piece keys=""
    for piece in "${PROVIDERS[@]}"; do
        keys="$keys $piece=$(piece_key "$piece")"
    done
    echo "$CACHE/pulumi-home-$(echo "$keys" | sha256sum | cut -c1-12)"
}

PROVIDERS=(command docker kubernetes)

provider_version() {
    # shellcheck source=toolchain/versions.env
    (source "$SPEC/versions.env"
     case "$1" in
         command) echo "$PULUMI_COMMAND_VERSION" ;;
         docker) echo "$PULUMI_DOCKER_VERSION" ;;
         kubernetes) echo "$PULUMI_KUBERNETES_VERSION" ;;
     esac)
}

install_plugins() {
    # The providers go into the plugin cache at exactly the versions in versions.env, never on
    # PATH: an ambient plugin would be used whatever version the SDK asks for, a cached one only
    # on an exact match (with downloads disabled, a drift is an error, not a silent mismatch).
    local name version home pulumi_bin
    home="$(pulumi_home)"
    pulumi_bin="$(command -v pulumi 2>/dev/null || echo "$(piece_dir pulumi)/bin/pulumi")"
    for name in "${PROVIDERS[@]}"; do
        version="$(provider_version "$name")"
        [ -d "$home/plugins/resource-$name-v$version" ] && continue
        PULUMI_HOME="$home" PULUMI_SKIP_UPDATE_CHECK=true \
            "$pulumi_bin" plugin install resource "$name" "$version" \
            --file "$(piece_dir "$name")/bin/pulumi-resource-$name" >&2
    done
}

print_env() {
    local path="" piece
    for piece in $(wanted_pieces); do
        # Providers go to the plugin cache. containerd, kind and readers serve node images, kind's own
        # checks and the KEP-1755 reader tests only: on PATH they would shadow the host's containerd
        # (dockerd starts it from PATH) and the kind stand-in. Tests ask `toolchain.sh path PIECE`.
        case "$piece" in command|docker|kubernetes|containerd|kind|readers) continue ;; esac
        path="$(piece_dir "$piece")/bin:$path"
    done
    # Tests get their own PULUMI_HOME (plugin cache, credentials) and never reach the network:
    # no update check, no plugin download.
    cat <<EOF
export PATH="${path}\$PATH"
export PULUMI_HOME="$(pulumi_home)"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export KINDPLANE_TOOLCHAIN_READY=1
EOF
}

status() {
    local piece dir
    for piece in "${PIECES[@]}"; do
        dir="$(piece_dir "$piece")"
        if [ -f "$dir/.complete" ]; then
            echo "$piece: cached $dir ($(du -sh "$dir" | cut -f1), built in $(cat "$dir/.complete") s)"
        else
            echo "$piece: not built ($dir)"
        fi
    done
    [ -d "$HOME/go/pkg/mod" ] && echo "go module cache: $(du -sh "$HOME/go/pkg/mod" | cut -f1)"
    [ -d "$HOME/.cache/go-build" ] && echo "go build cache: $(du -sh "$HOME/.cache/go-build" | cut -f1)"
    return 0
}

all_cached() {
    local piece
    for piece in $(wanted_pieces); do
        [ -f "$(piece_dir "$piece")/.complete" ] || { say "$piece is not built ($(piece_dir "$piece"))"; return 1; }
    done
}

case "${1:-env}" in
    build) shift; build_all "$@" ;;
    env) build_all >&2 && mkdir -p "$(pulumi_home)" && install_plugins && print_env ;;
    path) [ -f "$(piece_dir "${2:?usage: $0 path PIECE}")/.complete" ] && echo "$(piece_dir "$2")/bin" ;;
    cached-env) all_cached && mkdir -p "$(pulumi_home)" && install_plugins && print_env ;;
    status) status ;;
    *) echo "usage: $0 build|env|cached-env|path|status" >&2; exit 2 ;;
esac
