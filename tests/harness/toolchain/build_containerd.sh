#!/usr/bin/env bash
# Builds containerd 2 and ctr (the ones kind's node image ships) from the Go module proxy into
# OUT_BIN_DIR; tests/harness/images.py puts them into the harness's containerd 2 node image.
#
# Usage: build_containerd.sh OUT_BIN_DIR
#
# The version is the one kind's base image builds (sigs.k8s.io/kind images/base/Dockerfile,
# ARG CONTAINERD_VERSION, at KIND_VERSION). Static (CGO_ENABLED=0, containerd's own static_build
# tags): btrfs is left out as it needs cgo; the CRI plugin (plugins/cri, cri/images,
# cri/runtime: the one that honours config_path) is built in unless `no_cri` is set, which it is
# not. The version ldflags are the ones containerd's Makefile sets, so `containerd --version`
# names the release. `go install …@version` works: the module has no replace directives.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

out="${1:?usage: build_containerd.sh OUT_BIN_DIR}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0 GOBIN="$out"
module=github.com/containerd/containerd/v2
tags="urfave_cli_no_docs osusergo netgo static_build"
ldflags="-s -w -X ${module}/version.Version=${CONTAINERD_VERSION} -X ${module}/version.Package=github.com/containerd/containerd"

start=$SECONDS
go install -trimpath -tags "$tags" -ldflags "$ldflags" \
  "${module}/cmd/containerd@${CONTAINERD_VERSION}" "${module}/cmd/ctr@${CONTAINERD_VERSION}"
echo "toolchain: built containerd + ctr ${CONTAINERD_VERSION} in $((SECONDS - start)) s"
"$out/containerd" --version
