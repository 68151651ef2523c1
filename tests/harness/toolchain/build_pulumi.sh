#!/usr/bin/env bash
# Builds the Pulumi CLI (`pulumi`) and a Python language host (`pulumi-language-python`, with
# the SDK's `pulumi-language-python-exec` runner next to it) from the Go module proxy into
# OUT_BIN_DIR.
#
# Usage: build_pulumi.sh OUT_BIN_DIR
#
# The CLI is built from the published github.com/pulumi/pulumi/pkg/v3 module as a dependency of
# the wrapper module pulumi/ (pkg/v3's go.mod replaces sdk/v3 with a local path, which
# `go install …@version` refuses; the wrapper requires sdk/v3 at the same version and copies the
# non-local replace). The proxy does not serve pkg/v3 v${PULUMI_VERSION}, so the CLI is
# PULUMI_CLI_VERSION, the nearest newer release it serves (a newer CLI runs older SDKs).
#
# Pulumi's Python language host module is not served by the proxy at all; pulumi/cmd/
# pulumi-language-python is a small host of our own over the SDK's python/toolchain package
# (see its doc comment). The Automation API's inline programs (what kindplane runs) do not use
# a language host; `pulumi up` of a Python project directory does.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

out="${1:?usage: build_pulumi.sh OUT_BIN_DIR}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0

# The wrapper pins the version in go.mod/go.sum; refuse to build something else than
# versions.env says (bumping it means regenerating the wrapper: edit go.mod, `go mod tidy`).
require_pin() {  # FILE LINE
  grep -qF -- "$2" "$1" || {
    echo "toolchain: $1 does not pin '$2' (versions.env changed? regenerate the wrapper)" >&2
    exit 1
  }
}
require_pin "$here/pulumi/go.mod" "github.com/pulumi/pulumi/pkg/v3 v${PULUMI_CLI_VERSION}"
require_pin "$here/pulumi/go.mod" "github.com/pulumi/pulumi/sdk/v3 v${PULUMI_CLI_VERSION}"

# `pulumi version` and the language host's plugin info print this.
ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${PULUMI_CLI_VERSION}"

start=$SECONDS
go -C "$here/pulumi" build -mod=readonly -trimpath -ldflags "$ldflags" \
  -o "$out/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
echo "toolchain: built pulumi v${PULUMI_CLI_VERSION} in $((SECONDS - start)) s"

start=$SECONDS
go -C "$here/pulumi" build -mod=readonly -trimpath -ldflags "$ldflags" \
  -o "$out/pulumi-language-python" ./cmd/pulumi-language-python
# The program runner the host starts; it ships in the sdk/v3 module (python/cmd/).
sdk_dir="$(go -C "$here/pulumi" list -mod=readonly -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" "$out/pulumi-language-python-exec"
echo "toolchain: built pulumi-language-python (+ pulumi-language-python-exec) in $((SECONDS - start)) s"
# The language host's Go tests run offline (GOPROXY=off; tests/engine/test_engine_standins.py):
# fetch what they import now.
go -C "$here/pulumi" list -mod=readonly -deps -test ./cmd/pulumi-language-python >/dev/null
echo "toolchain: fetched the modules pulumi-language-python's tests import"
