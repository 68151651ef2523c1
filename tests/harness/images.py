"""Images the Docker tests need, built locally with `docker import` (nothing can be pulled).

Each image is assembled from Debian's own binaries (docker-registry, containerd + ctr,
busybox-static) plus the shared libraries `ldd` names, streamed as a tar into `docker import`.
The tag carries a hash of every build input, so a second run finds the image and skips the build.

- registry image: Debian's docker-registry is the same distribution/registry v2 code the official
  `registry:2` image ships; it gets the official image's config.yml, VOLUME, EXPOSE, ENTRYPOINT
  and CMD, so REGISTRY_* environment overrides (e.g. REGISTRY_STORAGE_DELETE_ENABLED) behave the
  same. It is also tagged `registry:2` (locally only) because the program's RemoteImage names
  exactly that image; a real `registry:2` already present (without our label) is left alone.
- registry:3 image: distribution v3's `cmd/registry`, built from the Go module proxy at the version
  the official `registry:3` image ships (distribution-library-image's Dockerfile), with that image's
  config.yml, entrypoint, environment, VOLUME, EXPOSE, ENTRYPOINT and CMD. The binary is the
  toolchain's `registry` piece (tests/harness/toolchain.sh, cached per machine); the image is
  tagged `registry:3` locally, with the same rule as `registry:2`.
- node images: stand-ins for kindest/node. They run containerd unprivileged (no kubelet, no
  mounts) and carry `ctr` and a busybox shell, so node-level commands (`docker exec … sh -c`,
  `ctr content fetch --hosts-dir …`) run for real. Two kinds (NODE_KINDS):
  - `containerd2` (the default): containerd + ctr v2.3.4, what kind v0.33.0's node image ships,
    built by the toolchain's `containerd` piece, started with kind's own base config
    (images/base/files/etc/containerd/config.toml of sigs.k8s.io/kind, from the `kind` piece) and
    the one change kind's own entrypoint makes where overlayfs cannot work: snapshotter "native";
  - `containerd1`: Debian's containerd 1.6 with a hand-written version-2 base config, for the
    kind releases before v0.27 (containerd 1.7 nodes) that kindplane still drives.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import subprocess
import tarfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .docker_env import docker, image_exists

HARNESS_LABEL = "dev.kindplane.harness"
REGISTRY_TAG = "registry:2"
REGISTRY_V3_TAG = "registry:3"
TOOLCHAIN = Path(__file__).resolve().parent / "toolchain.sh"
_BUILDER_VERSION = "1"  # bump to force a rebuild when this file's layout logic changes
_LOCK = Path(os.environ.get("TMPDIR", "/tmp")) / "kindplane-harness-images.lock"

# The official registry:2 image's /etc/docker/registry/config.yml (distribution-library-image).
OFFICIAL_REGISTRY_CONFIG = """\
version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
"""

# The official registry:3 image's /etc/distribution/config.yml (distribution-library-image's
# config-example.yml): delete is enabled and a debug server with metrics listens on :5001.
OFFICIAL_REGISTRY_V3_CONFIG = """\
version: 0.1
log:
  level: debug
  fields:
    service: registry
    environment: development
storage:
    delete:
      enabled: true
    cache:
        blobdescriptor: inmemory
    filesystem:
        rootdirectory: /var/lib/registry
    tag:
      concurrencylimit: 5
http:
    addr: :5000
    debug:
        addr: :5001
        prometheus:
            enabled: true
            path: /metrics
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
"""

# The official images' entrypoint.sh (the same for registry:2 and registry:3), verbatim in behaviour.
REGISTRY_ENTRYPOINT = """\
#!/bin/sh
set -e
case "$1" in
    *.yaml|*.yml) set -- registry serve "$@" ;;
    serve|garbage-collect|help|-*) set -- registry "$@" ;;
esac
exec "$@"
"""

# containerd's base config on the stand-in node; kind's containerdConfigPatches are merged on top
# (see standin_kind). Plugins that need mounts or block devices cannot work unprivileged.
NODE_BASE_CONTAINERD_CONFIG = """\
version = 2
disabled_plugins = ["io.containerd.snapshotter.v1.overlayfs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]

[plugins."io.containerd.grpc.v1.cri".containerd]
  snapshotter = "native"
"""

NODE_ENTRYPOINT = """\
#!/bin/sh
# Stand-in kind node: containerd in the foreground, configured from /etc/containerd/config.toml.
mkdir -p /run/containerd /var/lib/containerd /tmp /etc/containerd/certs.d
exec containerd --config /etc/containerd/config.toml
"""

NODE_CONTAINERD_SOCKET = "/run/containerd/containerd.sock"
NODE_KINDS = ("containerd2", "containerd1")


def kind_base_containerd_config_for_standin() -> str:
    """kind's base containerd config with the snapshotter kind's entrypoint picks where overlayfs
    cannot work (images/base/files/usr/local/bin/entrypoint: `sed … snapshotter = "native"`);
    the nodes here are unprivileged, so no mount-based snapshotter can work. Nothing else changes."""
    from .real_kind import kind_base_containerd_config

    base = kind_base_containerd_config()
    adapted = base.replace('snapshotter = "overlayfs"', 'snapshotter = "native"')
    if adapted == base:
        raise RuntimeError(
            'kind\'s base containerd config no longer says snapshotter = "overlayfs"; update the stand-in'
        )
    return adapted


class _Rootfs:
    """A root filesystem collected in memory, then written as one tar stream (owner root)."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, int]] = {}
        self.links: dict[str, str] = {}
        self.dirs: set[str] = set()

    def add_dir(self, path: str) -> None:
        path = path.strip("/")
        while path:
            self.dirs.add(path)
            path = os.path.dirname(path)

    def add_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        self.add_dir(os.path.dirname(path))
        self.files[path.strip("/")] = (data, mode)

    def add_binary(self, host_path: str, dest: str | None = None) -> None:
        """A host binary and every shared library ldd finds for it (same paths as on the host)."""
        self.add_file(dest or host_path, Path(host_path).read_bytes(), 0o755)
        for lib in _shared_libraries(host_path):
            if lib.strip("/") not in self.files:
                self.add_file(lib, Path(os.path.realpath(lib)).read_bytes(), 0o755)

    def add_link(self, path: str, target: str) -> None:
        self.add_dir(os.path.dirname(path))
        self.links[path.strip("/")] = target

    def tar(self) -> bytes:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for d in sorted(self.dirs):
                info = tarfile.TarInfo(d)
                info.type, info.mode = tarfile.DIRTYPE, 0o1777 if d == "tmp" else 0o755
                tar.addfile(info)
            for path, (data, mode) in sorted(self.files.items()):
                info = tarfile.TarInfo(path)
                info.size, info.mode = len(data), mode
                tar.addfile(info, io.BytesIO(data))
            for path, target in sorted(self.links.items()):
                info = tarfile.TarInfo(path)
                info.type, info.linkname = tarfile.SYMTYPE, target
                tar.addfile(info)
        return buf.getvalue()

    def digest(self) -> str:
        h = hashlib.sha256(_BUILDER_VERSION.encode())
        for path, (data, mode) in sorted(self.files.items()):
            h.update(f"{path}\0{mode}\0".encode())
            h.update(hashlib.sha256(data).digest())
        for path, target in sorted(self.links.items()):
            h.update(f"{path}\0->{target}\0".encode())
        return h.hexdigest()[:16]


def one_file_layer(data: bytes, name: str = "payload") -> bytes:
    """A tar of one file: the whole file system of a tiny image made with `docker import -`
    (random bytes make layers incompressible, so gc, du and mirror transfers show them whole)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _shared_libraries(binary: str) -> list[str]:
    out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    libs = []
    for line in out.splitlines():
        parts = line.split()
        # "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)"
        path = parts[2] if "=>" in parts and len(parts) > 2 else parts[0] if parts else ""
        if path.startswith("/"):
            libs.append(path)
    return libs


def _need(path: str, package: str) -> str:
    if not os.path.exists(path):
        raise RuntimeError(f"{path} is missing: install Debian package {package} (tests/harness/ensure_docker.sh does)")
    return path


def _busybox(fs: _Rootfs) -> None:
    busybox = _need("/bin/busybox", "busybox-static")
    fs.add_binary(busybox, "/bin/busybox")
    applets = subprocess.run([busybox, "--list"], capture_output=True, text=True, check=True).stdout.split()
    for applet in applets:
        if applet != "busybox":
            fs.add_link(f"/bin/{applet}", "busybox")
    fs.add_file("/etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
    fs.add_file("/etc/group", b"root:x:0:\n")
    for d in ("/tmp", "/root", "/proc", "/sys", "/dev", "/etc", "/var", "/run"):
        fs.add_dir(d)


@contextmanager
def _build_lock() -> Iterator[None]:
    """Tests of several helpers may build at once: one builder at a time, the rest reuse."""
    with open(_LOCK, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _import(fs: _Rootfs, tag: str, changes: list[str]) -> None:
    argv = ["docker", "import"]
    for change in changes + [f"LABEL {HARNESS_LABEL}={tag}"]:
        argv += ["--change", change]
    result = subprocess.run(argv + ["-", tag], input=fs.tar(), capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"docker import {tag} failed: {result.stderr.decode(errors='replace')}")


def _ensure(name: str, fs: _Rootfs, changes: list[str]) -> str:
    tag = f"kindplane-harness/{name}:{fs.digest()}"
    with _build_lock():
        if not image_exists(tag):
            _import(fs, tag, changes)
    return tag


def registry_rootfs() -> _Rootfs:
    fs = _Rootfs()
    _busybox(fs)
    fs.add_binary(_need("/usr/bin/docker-registry", "docker-registry"), "/bin/registry")
    fs.add_file("/etc/docker/registry/config.yml", OFFICIAL_REGISTRY_CONFIG.encode())
    fs.add_file("/entrypoint.sh", REGISTRY_ENTRYPOINT.encode(), 0o755)
    fs.add_dir("/var/lib/registry")
    return fs


def ensure_registry_image() -> str:
    """Builds (once) the registry image and makes `registry:2` name it; returns "registry:2"."""
    tag = _ensure(
        "registry",
        registry_rootfs(),
        [
            'VOLUME ["/var/lib/registry"]',
            "EXPOSE 5000",
            'ENTRYPOINT ["/entrypoint.sh"]',
            'CMD ["/etc/docker/registry/config.yml"]',
        ],
    )
    _name_locally(REGISTRY_TAG, tag)
    return REGISTRY_TAG


def registry_v3_binary() -> Path:
    """distribution v3's `registry`: the toolchain's `registry` piece (tests/harness/toolchain.sh
    builds it from the Go module proxy, beside the other pieces, cached per machine)."""
    found = subprocess.run(["bash", str(TOOLCHAIN), "path", "registry"], capture_output=True, text=True)
    if found.returncode != 0:
        built = subprocess.run(["bash", str(TOOLCHAIN), "build", "registry"], capture_output=True, text=True)
        found = subprocess.run(["bash", str(TOOLCHAIN), "path", "registry"], capture_output=True, text=True)
        if found.returncode != 0:
            raise RuntimeError(f"building the toolchain's registry piece failed: {built.stderr[-3000:]}")
    return Path(found.stdout.strip()) / "registry"


def registry_v3_rootfs() -> _Rootfs:
    fs = _Rootfs()
    _busybox(fs)  # the official image is alpine: sh, du, wget, find are there too
    fs.add_file("/bin/registry", registry_v3_binary().read_bytes(), 0o755)
    fs.add_file("/etc/distribution/config.yml", OFFICIAL_REGISTRY_V3_CONFIG.encode())
    fs.add_file("/entrypoint.sh", REGISTRY_ENTRYPOINT.encode(), 0o755)
    fs.add_dir("/var/lib/registry")
    return fs


def ensure_registry_v3_image() -> str:
    """Builds (once) the distribution v3 image and makes `registry:3` name it; returns "registry:3"."""
    tag = _ensure(
        "registry-v3",
        registry_v3_rootfs(),
        [
            "ENV OTEL_TRACES_EXPORTER=none",
            'VOLUME ["/var/lib/registry"]',
            "EXPOSE 5000",
            'ENTRYPOINT ["/entrypoint.sh"]',
            'CMD ["/etc/distribution/config.yml"]',
        ],
    )
    _name_locally(REGISTRY_V3_TAG, tag)
    return REGISTRY_V3_TAG


def _name_locally(name: str, tag: str) -> None:
    """Tags `tag` as `name` unless `name` is a real image (one without the harness label)."""
    with _build_lock():
        current = _image_id(name)
        if current is None or (current != _image_id(tag) and _is_harness_image(name)):
            docker("tag", tag, name)


def node_rootfs() -> _Rootfs:
    fs = _Rootfs()
    _busybox(fs)
    fs.add_binary(_need("/usr/bin/containerd", "containerd"), "/usr/local/bin/containerd")
    fs.add_binary(_need("/usr/bin/ctr", "containerd"), "/usr/local/bin/ctr")
    fs.add_file("/etc/containerd/config.toml", NODE_BASE_CONTAINERD_CONFIG.encode())
    fs.add_file("/usr/local/bin/standin-node", NODE_ENTRYPOINT.encode(), 0o755)
    fs.add_dir("/etc/containerd/certs.d")
    fs.add_dir("/var/lib/containerd")
    return fs


def containerd2_binaries() -> Path:
    """containerd + ctr v2 (the toolchain's `containerd` piece, built on first use: ~5 minutes)."""
    found = subprocess.run(["bash", str(TOOLCHAIN), "path", "containerd"], capture_output=True, text=True)
    if found.returncode != 0:
        built = subprocess.run(["bash", str(TOOLCHAIN), "build", "containerd"], capture_output=True, text=True)
        found = subprocess.run(["bash", str(TOOLCHAIN), "path", "containerd"], capture_output=True, text=True)
        if found.returncode != 0:
            raise RuntimeError(f"building the toolchain's containerd piece failed: {built.stderr[-3000:]}")
    return Path(found.stdout.strip())


def node2_rootfs() -> _Rootfs:
    fs = _Rootfs()
    _busybox(fs)
    bins = containerd2_binaries()
    fs.add_file("/usr/local/bin/containerd", (bins / "containerd").read_bytes(), 0o755)
    fs.add_file("/usr/local/bin/ctr", (bins / "ctr").read_bytes(), 0o755)
    fs.add_file("/etc/containerd/config.toml", kind_base_containerd_config_for_standin().encode())
    # kind's base config names the runtime spec kind's image generates with `ctr oci spec`.
    spec = subprocess.run([str(bins / "ctr"), "oci", "spec"], capture_output=True, check=True).stdout
    fs.add_file("/etc/containerd/cri-base.json", spec)
    fs.add_file("/usr/local/bin/standin-node", NODE_ENTRYPOINT.encode(), 0o755)
    fs.add_dir("/etc/containerd/certs.d")
    fs.add_dir("/var/lib/containerd")
    return fs


def ensure_node_image(kind: str = "containerd2") -> str:
    """Builds (once) a stand-in kind node image (NODE_KINDS); returns its content-addressed tag."""
    if kind not in NODE_KINDS:
        raise ValueError(f"node kind must be one of {NODE_KINDS}, got {kind!r}")
    return _ensure(
        "node" if kind == "containerd1" else "node-containerd2",
        node_rootfs() if kind == "containerd1" else node2_rootfs(),
        [
            "ENV PATH=/usr/local/bin:/bin",
            'ENTRYPOINT ["/usr/local/bin/standin-node"]',
        ],
    )


def ensure_app_image(tag: str) -> str:
    """A tiny image (one file) to push: tags it `tag` locally and returns `tag`."""
    fs = _Rootfs()
    fs.add_file("/hello.txt", b"hello from kindplane's test harness\n")
    base = _ensure("app", fs, ['CMD ["/hello.txt"]'])
    docker("tag", base, tag)
    return tag


def _image_id(ref: str) -> str | None:
    result = subprocess.run(["docker", "image", "inspect", "-f", "{{.Id}}", ref], capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else None


def _is_harness_image(ref: str) -> bool:
    result = subprocess.run(
        ["docker", "image", "inspect", "-f", '{{index .Config.Labels "' + HARNESS_LABEL + '"}}', ref],
        capture_output=True,
        text=True,
    )
    return result.returncode == 0 and result.stdout.strip() not in ("", "<no value>")


__all__ = [
    "ensure_registry_image",
    "ensure_registry_v3_image",
    "ensure_node_image",
    "NODE_KINDS",
    "ensure_app_image",
    "REGISTRY_TAG",
    "REGISTRY_V3_TAG",
    "HARNESS_LABEL",
]
