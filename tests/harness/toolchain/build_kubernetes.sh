#!/usr/bin/env bash
# Builds pulumi-resource-kubernetes (the Pulumi Kubernetes provider plugin) from the Go module
# proxy into OUT_BIN_DIR:
#
#   tests/harness/toolchain/build_kubernetes.sh OUT_BIN_DIR
#
# The source is github.com/pulumi/pulumi-kubernetes/provider/v4 at
# PULUMI_KUBERNETES_PROVIDER_MODULE, built through the wrapper module in kubernetes/ (its go.mod
# requires the published sdk/v4 of the same release in place of the upstream `../sdk` replace).
# The upstream main package embeds generated, git-ignored files, so the wrapper has its own small
# main: cmd/embedgen writes schema-embed.json (the module's committed schema.json with "version"
# set, as the provider's Makefile does) and terraform-mapping-embed.json into a temporary copy
# of the wrapper, then that copy is built with the version ldflag the Makefile sets.
#
# The module proxy serves the provider module only at the v4.25.0 release commit (see
# versions.env), so PULUMI_KUBERNETES_VERSION (the Python SDK pin, which is the plugin version
# the SDK asks for) must be that release: the script refuses to label other code with it.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 OUT_BIN_DIR" >&2
    exit 2
fi

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$HERE/versions.env"

export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0

mkdir -p "$1"
OUT_BIN_DIR="$(cd "$1" && pwd)"

PROVIDER_MOD=github.com/pulumi/pulumi-kubernetes/provider/v4

if [[ "$PULUMI_KUBERNETES_VERSION" != "$PULUMI_KUBERNETES_PROVIDER_SOURCE" ]]; then
    echo "build_kubernetes.sh: PULUMI_KUBERNETES_VERSION=${PULUMI_KUBERNETES_VERSION} but the provider source" \
        "(${PROVIDER_MOD} ${PULUMI_KUBERNETES_PROVIDER_MODULE}) is release ${PULUMI_KUBERNETES_PROVIDER_SOURCE}" >&2
    exit 1
fi

# The wrapper must pin the commit that versions.env names (the toolchain cache key is a hash
# of versions.env and the build scripts).
if ! grep -Eq "^[[:space:]]*${PROVIDER_MOD} ${PULUMI_KUBERNETES_PROVIDER_MODULE}\$" "$HERE/kubernetes/go.mod"; then
    echo "build_kubernetes.sh: kubernetes/go.mod does not require ${PROVIDER_MOD} ${PULUMI_KUBERNETES_PROVIDER_MODULE}" >&2
    exit 1
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/kubernetes-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cp -R "$HERE/kubernetes/." "$WORK/wrapper"
cd "$WORK/wrapper"

start=$SECONDS
go mod download "$PROVIDER_MOD"
SRC_DIR="$(go list -mod=readonly -m -f '{{.Dir}}' "$PROVIDER_MOD")"
if [[ -z "$SRC_DIR" || ! -f "$SRC_DIR/cmd/pulumi-resource-kubernetes/schema.json" ]]; then
    echo "build_kubernetes.sh: no schema.json in the ${PROVIDER_MOD} module (${SRC_DIR:-not downloaded})" >&2
    exit 1
fi
go build -mod=readonly -trimpath -o "$WORK/embedgen" ./cmd/embedgen
"$WORK/embedgen" -src "$SRC_DIR/cmd/pulumi-resource-kubernetes" \
    -dst cmd/pulumi-resource-kubernetes -version "$PULUMI_KUBERNETES_VERSION"
echo "toolchain: prepared pulumi-resource-kubernetes schema ${PULUMI_KUBERNETES_VERSION} in $((SECONDS - start)) s"

start=$SECONDS
go build -mod=readonly -trimpath \
    -ldflags "-s -w -X ${PROVIDER_MOD}/pkg/version.Version=${PULUMI_KUBERNETES_VERSION}" \
    -o "$OUT_BIN_DIR/pulumi-resource-kubernetes" ./cmd/pulumi-resource-kubernetes
echo "toolchain: built pulumi-resource-kubernetes ${PULUMI_KUBERNETES_VERSION} in $((SECONDS - start)) s"
