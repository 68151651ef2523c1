#!/usr/bin/env bash
# Builds `kube-apiserver` and `etcd` from the Go module proxy into OUT_BIN_DIR.
#
# Usage: build_kube.sh OUT_BIN_DIR
#
# Each binary has its own wrapper module (kube/apiserver, kube/etcd) because upstream's go.mod
# files replace their sibling modules with local paths, which `go install …@version` refuses;
# as dependencies of a wrapper those replaces are ignored and the published modules are used.
# Two modules, not one: each keeps exactly the dependency versions its release pins
# (kube-apiserver 1.34 pins the etcd client at 3.6.4, the etcd server wants 3.6.6).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

out="${1:?usage: build_kube.sh OUT_BIN_DIR}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0

# The wrappers pin the versions in go.mod/go.sum; refuse to build something other than what
# versions.env says. To bump: edit the versions in kube/*/go.mod (every k8s.io/* replace is
# v0.<minor>.<patch> of KUBERNETES_VERSION), then `GOTOOLCHAIN=local go mod tidy` in each.
require_pin() {  # FILE LINE
  grep -qF -- "$2" "$1" || {
    echo "toolchain: $1 does not pin '$2' (versions.env changed? regenerate the wrapper)" >&2
    exit 1
  }
}
require_pin "$here/kube/apiserver/go.mod" "k8s.io/kubernetes v${KUBERNETES_VERSION}"
require_pin "$here/kube/apiserver/go.mod" "k8s.io/apiserver => k8s.io/apiserver v0.${KUBERNETES_VERSION#*.}"
require_pin "$here/kube/etcd/go.mod" "go.etcd.io/etcd/server/v3 v${ETCD_VERSION}"

build_date="$(date ${SOURCE_DATE_EPOCH:+--date=@$SOURCE_DATE_EPOCH} -u +'%Y-%m-%dT%H:%M:%SZ')"

# kube-apiserver: the version variables upstream's hack/lib/version.sh sets for both packages,
# otherwise /version reports v0.0.0-master. The release commit is not known from the module
# proxy, so gitCommit stays empty (gitTreeState "clean": built from the released module).
kube_minor="${KUBERNETES_VERSION#*.}"
kube_minor="${kube_minor%%.*}"
kube_ldflags="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  kube_ldflags+=" -X $pkg.gitVersion=v${KUBERNETES_VERSION}"
  kube_ldflags+=" -X $pkg.gitMajor=${KUBERNETES_VERSION%%.*}"
  kube_ldflags+=" -X $pkg.gitMinor=${kube_minor}"
  kube_ldflags+=" -X $pkg.gitCommit="
  kube_ldflags+=" -X $pkg.gitTreeState=clean"
  kube_ldflags+=" -X $pkg.buildDate=${build_date}"
done

start=$SECONDS
go -C "$here/kube/apiserver" build -mod=readonly -trimpath -ldflags "$kube_ldflags" \
  -o "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
echo "toolchain: built kube-apiserver v${KUBERNETES_VERSION} in $((SECONDS - start)) s"

# etcd: its version is a constant in go.etcd.io/etcd/api/v3/version; GitSHA is set by
# upstream's build script as the short commit (else "Not provided (use ./build ...)").
start=$SECONDS
go -C "$here/kube/etcd" build -mod=readonly -trimpath \
  -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=${ETCD_GIT_SHA:0:7}" \
  -o "$out/etcd" go.etcd.io/etcd/server/v3
echo "toolchain: built etcd v${ETCD_VERSION} in $((SECONDS - start)) s"
