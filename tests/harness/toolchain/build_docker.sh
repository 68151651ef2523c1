#!/usr/bin/env bash
# Builds pulumi-resource-docker (the Pulumi "docker" resource plugin, version
# PULUMI_DOCKER_VERSION) into OUT_BIN_DIR from the wrapper module in ./docker.
#
# The Go module proxy serves neither github.com/pulumi/pulumi-docker/provider/v5 (any version)
# nor the upstream commit that release pins, so the wrapper bridges the upstream Terraform
# Docker provider (the same code pulumi-docker wraps) itself with pulumi-terraform-bridge and
# the Python SDK's resource tokens. Two steps: build gen-schema and write the package schema
# (version field = PULUMI_DOCKER_VERSION), then build the plugin with that schema embedded.
# Everything happens in a temporary copy of the wrapper; the checkout is not modified.
#
# Usage: build_docker.sh OUT_BIN_DIR
set -euo pipefail

OUT_BIN_DIR=${1:?usage: build_docker.sh OUT_BIN_DIR}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=/dev/null
source "$HERE/versions.env"
: "${PULUMI_DOCKER_VERSION:?PULUMI_DOCKER_VERSION missing from versions.env}"

export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0

mkdir -p "$OUT_BIN_DIR"
OUT_BIN_DIR=$(cd "$OUT_BIN_DIR" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kindplane-docker-build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cp -R "$HERE/docker/." "$WORK/src"
cd "$WORK/src"

# Same build tag as pulumi-docker's release builds: leaves out the upstream's docker_compose
# resource (not part of the bridged provider) and its large dependency tree. Both builds use
# the same tags and flags so that the second one reuses the first one's compiled packages.
TAGS=no_compose

# versions.env repeats the wrapper's two key versions (they are part of the cache key there).
upstream_version=$(go list -mod=readonly -m -f '{{.Replace.Version}}' github.com/terraform-providers/terraform-provider-docker)
bridge_version=$(go list -mod=readonly -m -f '{{.Version}}' github.com/pulumi/pulumi-terraform-bridge/v3)
if [[ "$upstream_version" != "${PULUMI_DOCKER_UPSTREAM_VERSION:-}" || "$bridge_version" != "${PULUMI_DOCKER_BRIDGE_VERSION:-}" ]]; then
    echo "build_docker.sh: docker/go.mod (upstream $upstream_version, bridge $bridge_version) does not match" \
        "versions.env (PULUMI_DOCKER_UPSTREAM_VERSION, PULUMI_DOCKER_BRIDGE_VERSION)" >&2
    exit 1
fi

t0=$(date +%s)
go build -mod=readonly -tags "$TAGS" -trimpath -o "$WORK/gen-schema" ./cmd/gen-schema
upstream_dir=$(go list -mod=readonly -m -f '{{.Dir}}' github.com/terraform-providers/terraform-provider-docker)
"$WORK/gen-schema" "$PULUMI_DOCKER_VERSION" "$upstream_dir" \
    cmd/pulumi-resource-docker/schema-embed.json 2>"$WORK/gen-schema.log" || {
    cat "$WORK/gen-schema.log" >&2
    exit 1
}
t1=$(date +%s)
echo "toolchain: generated docker schema (built gen-schema) in $((t1 - t0)) s"

go build -mod=readonly -tags "$TAGS" -trimpath \
    -ldflags "-s -w -X main.version=${PULUMI_DOCKER_VERSION}" \
    -o "$OUT_BIN_DIR/pulumi-resource-docker" ./cmd/pulumi-resource-docker
t2=$(date +%s)
echo "toolchain: built pulumi-resource-docker ${PULUMI_DOCKER_VERSION} in $((t2 - t1)) s"
