#!/usr/bin/env bash
# Builds `pulumi-resource-command` (the `command` provider plugin, local resources) from the Go
# module proxy into OUT_BIN_DIR, reporting version PULUMI_COMMAND_VERSION.
#
# Usage: build_command.sh OUT_BIN_DIR
#
# The real provider module (github.com/pulumi/pulumi-command/provider) is not served by the Go
# module proxy at any version, so command/ is a re-implementation of its `command:local:Command`
# and `command:local:run` on the same framework and versions as pulumi-command v1.2.1
# (pulumi-go-provider v1.3.0, sdk/v3 v3.224.0); see command/local/local.go for what it does and
# does not do (no `command:remote:*`). It reports PULUMI_COMMAND_VERSION because Pulumi asks for
# the plugin version the installed Python SDK (pulumi-command) declares.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

out="${1:?usage: build_command.sh OUT_BIN_DIR}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0

start=$SECONDS
go -C "$here/command" build -mod=readonly -trimpath \
  -ldflags "-s -w -X main.version=${PULUMI_COMMAND_VERSION}" \
  -o "$out/pulumi-resource-command" ./cmd/pulumi-resource-command
echo "toolchain: built pulumi-resource-command ${PULUMI_COMMAND_VERSION} in $((SECONDS - start)) s"
# The stand-in's Go tests (tests/engine/test_engine_standins.py) run offline (GOPROXY=off): fetch
# what they import (testify, pulumi-go-provider's integration package) now, or only a machine
# where something else happened to download them passes.
go -C "$here/command" list -mod=readonly -deps -test ./... >/dev/null
echo "toolchain: fetched the modules pulumi-resource-command's tests import"
