#!/usr/bin/env bash
# Builds kind itself from the Go module proxy (sigs.k8s.io/kind at KIND_VERSION, the release
# `kindplane setup` installs) into OUT_BIN_DIR, plus a small program on kind's own containerd
# patch code, and keeps kind's base containerd config beside them:
#
#   kind                          the real CLI (`kind create cluster --config -` loads, defaults and
#                                 validates the config; tests/kind_checks runs it with a fake
#                                 `docker` that stops it at the first container it would create)
#   kindplane-containerd-patch    kind's patch.ContainerdTOML (kind/containerd_patch.go): the kind
#                                 stand-in merges containerdConfigPatches with it, as kind does
#   kind-base-containerd.toml     images/base/files/etc/containerd/config.toml of the module: the
#                                 config kind's node image starts containerd with
#
# Usage: build_kind.sh OUT_BIN_DIR
#
# Flags as kind's Makefile sets them (-trimpath, -buildid=, static). kind's internal packages can be
# imported only from inside its module, so the patch program is built in a copy of the module with
# kind's own go.mod and go.sum.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

out="${1:?usage: build_kind.sh OUT_BIN_DIR}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0 GOBIN="$out"
module=sigs.k8s.io/kind

start=$SECONDS
go install -trimpath -ldflags "-buildid= -s -w" "${module}@${KIND_VERSION}"
echo "toolchain: built kind ${KIND_VERSION} in $((SECONDS - start)) s"

src="$(go mod download -json "${module}@${KIND_VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -d "$src" ] || { echo "toolchain: sigs.k8s.io/kind ${KIND_VERSION} is not in the module cache" >&2; exit 1; }
work="$(mktemp -d)"
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -R "$src/." "$work/"
chmod -R u+w "$work"
mkdir -p "$work/pkg/cmd/kindplane-containerd-patch"
cp "$here/kind/containerd_patch.go" "$work/pkg/cmd/kindplane-containerd-patch/main.go"
go -C "$work" build -mod=mod -trimpath -ldflags "-buildid= -s -w" \
  -o "$out/kindplane-containerd-patch" ./pkg/cmd/kindplane-containerd-patch
cp "$src/images/base/files/etc/containerd/config.toml" "$out/kind-base-containerd.toml"
# The modules of the older releases kindplane's node image table names (tests/kind reads their
# default images offline).
for release in $KIND_TABLE_RELEASES; do
  go mod download "${module}@${release}"
done
echo "toolchain: built kindplane-containerd-patch on kind ${KIND_VERSION}'s patch code in $((SECONDS - start)) s"
"$out/kind" version
