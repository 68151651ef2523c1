#!/usr/bin/env bash
# Builds distribution v3's `registry` (the binary of the official registry:3 image) from the Go
# module proxy into OUT_BIN_DIR; tests/harness/images.py puts it into the harness's registry:3.
#
# Usage: build_registry.sh OUT_BIN_DIR
#
# `go install …@version` works here: the module has no replace directives. The version ldflag is
# the one distribution's Makefile sets, so `registry --version` names the release.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

out="${1:?usage: build_registry.sh OUT_BIN_DIR}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0 GOBIN="$out"
module=github.com/distribution/distribution/v3

start=$SECONDS
go install -trimpath -ldflags "-s -w -X ${module}/version.version=${DISTRIBUTION_VERSION}" \
  "${module}/cmd/registry@${DISTRIBUTION_VERSION}"
echo "toolchain: built distribution registry ${DISTRIBUTION_VERSION} in $((SECONDS - start)) s"
