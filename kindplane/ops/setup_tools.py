"""`kindplane setup`: install the pinned kind release and the Pulumi CLI under ~/.kindplane.

kind is downloaded to a temporary file beside its destination, checked against the SHA-256 in
the `.sha256sum` file the release publishes next to the binary, and only then made executable
and moved into place in one rename: a failed or refused download never leaves a `kind` behind.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

from .tools import KIND_VERSION, PULUMI_VERSION, bin_dir, find_pulumi, pulumi_root

KIND_RELEASES = "https://github.com/kubernetes-sigs/kind/releases/download"
KIND_BASE_URL_ENV = "KINDPLANE_KIND_BASE_URL"  # a mirror (or a test server) instead of GitHub
KIND_INSTALL_DOCS = "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
PULUMI_INSTALL_DOCS = "https://www.pulumi.com/docs/iac/download-install/"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# What `up`, preflight and the download failures tell a user to run; --from is the offline way.
SETUP_HINT = "run `kindplane setup` (offline: `kindplane setup --from DIR`, DIR holding the release files you carry)"


class SetupError(RuntimeError):
    """One line saying what failed and what to do instead."""


def kind_asset(system: Optional[str] = None, machine: Optional[str] = None) -> str:
    """The release asset name for this machine, e.g. kind-linux-amd64."""
    system = (system or platform.system()).lower()
    machine = (machine or platform.machine()).lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine)
    if system not in ("linux", "darwin") or arch is None:
        raise SetupError(f"no kind release for {system}/{machine}; install kind yourself: {KIND_INSTALL_DOCS}")
    return f"kind-{system}-{arch}"


def kind_urls(version: str = KIND_VERSION, base_url: Optional[str] = None) -> tuple[str, str]:
    base = (base_url or os.environ.get(KIND_BASE_URL_ENV) or KIND_RELEASES).rstrip("/")
    binary = f"{base}/{version}/{kind_asset()}"
    return binary, f"{binary}.sha256sum"


def installed_kind_version(path: Path) -> Optional[str]:
    """`kind version` prints e.g. `kind v0.29.0 go1.24.2 linux/amd64`; None when it cannot run.
    Asked once per binary (tool_versions): up's checks ask twice on every run."""
    from .tool_versions import version_output

    if not Path(path).is_file():
        return None
    try:
        out = version_output(str(path), timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    parts = out.split()
    return parts[1] if len(parts) >= 2 and parts[0] == "kind" else None


def install_kind(version: str = KIND_VERSION, base_url: Optional[str] = None, dest_dir: Optional[Path] = None) -> str:
    """Installs kind into dest_dir (default ~/.kindplane/bin); returns what happened, in words."""
    import httpx  # lazy: only setup downloads anything

    dest_dir = dest_dir or bin_dir()
    dest = dest_dir / "kind"
    if installed_kind_version(dest) == version:
        return f"kind {version} already installed at {dest}"
    binary_url, sum_url = kind_urls(version, base_url)
    try:
        with httpx.Client(follow_redirects=True, timeout=httpx.Timeout(30.0, connect=10.0)) as http:
            expected = _published_sha256(http, sum_url)
            dest_dir.mkdir(parents=True, exist_ok=True)
            _download_verified(http, binary_url, expected, dest)
    except httpx.HTTPError as exc:
        raise SetupError(
            f"could not download kind {version} ({exc.__class__.__name__}: {exc}); nothing was "
            f"installed. Check the network and run `kindplane setup` again; without one, carry "
            f"{kind_asset()} and its .sha256sum here and run `kindplane setup --from DIR`, or install "
            f"kind yourself: {KIND_INSTALL_DOCS}"
        ) from None
    return f"installed kind {version} at {dest} (SHA-256 {expected} verified)"


def _published_sha256(http, url: str) -> str:
    response = http.get(url)
    response.raise_for_status()
    # The release's .sha256sum file reads "<hex>  kind-linux-amd64".
    fields = response.text.split()
    digest = fields[0].lower() if fields else ""
    if not _SHA256.match(digest):
        raise SetupError(f"{url} does not hold a SHA-256 checksum; refusing to install kind")
    return digest


def _download_verified(http, url: str, expected: str, dest: Path) -> None:
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=".kind-download-")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, http.stream("GET", url) as response:
            response.raise_for_status()
            for chunk in response.iter_bytes():
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != expected:
            raise SetupError(
                f"checksum mismatch for {url}: got {digest.hexdigest()}, the release publishes "
                f"{expected}; refusing to install it (nothing was installed)"
            )
        tmp.chmod(0o755)
        os.replace(tmp, dest)  # atomic on one file system: dest is either old or complete
    finally:
        tmp.unlink(missing_ok=True)


def install_pulumi(version: str = PULUMI_VERSION, root: Optional[Path] = None) -> str:
    """The Pulumi CLI through the Automation API's own installer (get.pulumi.com)."""
    root = root or pulumi_root()
    found = find_pulumi()
    if found:
        return f"Pulumi CLI already installed at {found}"
    from pulumi.automation import PulumiCommand  # lazy: heavy, and only setup needs it
    from semver import VersionInfo

    existed = root.exists()
    try:
        PulumiCommand.install(root=str(root), version=VersionInfo.parse(version))
    except Exception as exc:  # urllib, the install script, or the version check
        if not existed:
            shutil.rmtree(root, ignore_errors=True)  # nothing half-installed
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else exc.__class__.__name__
        raise SetupError(
            f"could not install the Pulumi CLI {version} ({detail}); nothing was installed. Check the "
            f"network and run `kindplane setup` again; without one, carry its release archive here and run "
            f"`kindplane setup --from DIR`, or install it yourself: {PULUMI_INSTALL_DOCS}"
        ) from None
    return f"installed Pulumi CLI {version} at {root / 'bin' / 'pulumi'}"
