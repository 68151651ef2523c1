#!/usr/bin/env bash
# Builds kep1755-read (readers/cmd/kep1755-read) into OUT_BIN_DIR: the KEP-1755
# local-registry-hosting ConfigMap read as Tilt's reader reads it (client-go + gopkg.in/yaml.v2).
# The proxy does not serve github.com/tilt-dev/localregistry-go itself, so the program follows its
# documented behaviour on the same libraries (see main.go). tests/kind_readers runs it against the
# kind stand-in's API server.
#
# Usage: build_readers.sh OUT_BIN_DIR
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: build_readers.sh OUT_BIN_DIR}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0

start=$SECONDS
go -C "$here/readers" build -mod=readonly -trimpath -ldflags "-s -w" -o "$out/kep1755-read" ./cmd/kep1755-read
echo "toolchain: built kep1755-read in $((SECONDS - start)) s"
