"""`kindplane setup --from`: install the tools from files the user carries, without a network.

An air-gapped machine gets what `kindplane up` drives from a folder (or paths) holding the
release files as their projects publish them:

    kind-linux-amd64  (+ kind-linux-amd64.sha256sum)                      kind
    pulumi-v3.274.1-linux-x64.tar.gz  (+ pulumi-3.274.1-checksums.txt)    the Pulumi CLI
    pulumi-resource-docker-v5.2.0-linux-amd64.tar.gz, … command, kubernetes   its provider plugins

A Pulumi CLI may also come unpacked: a `pulumi` binary with its `pulumi-language-*` hosts beside
it. Each file is checked before anything of it is installed: its SHA-256 when its release's
checksum file is beside it, and always what it is (`kind version`, `pulumi version`, a plugin's
name and version). A wrong file is refused with what was expected; the tool it would have
replaced is left as it was.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Sequence

from .setup_tools import SetupError, installed_kind_version, kind_asset
from .tools import KIND_VERSION, PULUMI_VERSION, bin_dir, find_pulumi, pulumi_root

KIND_RELEASE_PAGE = "https://github.com/kubernetes-sigs/kind/releases/tag/{version}"
PULUMI_VERSIONS_PAGE = "https://www.pulumi.com/docs/iac/download-install/versions/"
_KIND_ANY = re.compile(r"^kind-(?P<os>[a-z]+)-(?P<arch>[a-z0-9]+)(?:\.exe)?$")
_PULUMI_ARCHIVE = re.compile(r"^pulumi-v(?P<version>\d+\.\d+\.\d+)-(?P<os>[a-z]+)-(?P<arch>[a-z0-9]+)\.tar\.gz$")
_PLUGIN_ARCHIVE = re.compile(
    r"^pulumi-resource-(?P<name>[a-z0-9-]+?)-v(?P<version>\d+\.\d+\.\d+)-(?P<os>[a-z]+)-(?P<arch>[a-z0-9]+)\.tar\.gz$"
)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# The provider plugins the program's SDKs ask for: each at its SDK package's own version.
PLUGIN_PACKAGES = {"docker": "pulumi-docker", "command": "pulumi-command", "kubernetes": "pulumi-kubernetes"}


@dataclass(frozen=True)
class Platform:
    os: str  # linux, darwin
    arch: str  # amd64, arm64 (kind and plugins); Pulumi's CLI archives say x64 for amd64

    @property
    def pulumi_arch(self) -> str:
        return "x64" if self.arch == "amd64" else self.arch


def this_platform() -> Platform:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return Platform(platform.system().lower(), arch)


def carried_files(paths: Iterable[Path]) -> list[Path]:
    """The files given, and those in the folders given (and one level below: an unpacked archive)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.is_file())
            found += sorted(p for sub in sorted(path.iterdir()) if sub.is_dir() for p in sub.iterdir() if p.is_file())
        else:
            found.append(path)
    return found


def plugin_versions() -> dict[str, str]:
    """{"docker": "5.2.0", …}: the version each installed SDK asks the engine for."""
    from importlib import metadata

    return {name: metadata.version(package) for name, package in PLUGIN_PACKAGES.items()}


# --- checksums ------------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for chunk in iter(lambda: data.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def published_sha256(sums: Path, asset: str) -> Optional[str]:
    """The checksum `sums` gives `asset` ("<hex>  <asset>" lines, or a lone "<hex>"); None if none."""
    for line in sums.read_text(encoding="utf-8", errors="replace").splitlines():
        fields = line.split()
        if fields and _SHA256.match(fields[0].lower()) and (len(fields) == 1 or fields[-1].lstrip("*") == asset):
            return fields[0].lower()
    return None


def verify_checksum(path: Path, asset: str, sum_files: Sequence[Path]) -> str:
    """Words for the install line; SetupError when the release's checksum file disagrees."""
    for sums in sum_files:
        if not sums.is_file():
            continue
        expected = published_sha256(sums, asset)
        if expected is None:
            raise SetupError(f"{sums} holds no SHA-256 for {asset}; refusing to install {path}")
        actual = sha256_of(path)
        if actual != expected:
            raise SetupError(
                f"checksum mismatch for {path}: it hashes to {actual}, {sums.name} publishes {expected}; "
                f"the file is damaged or not the release's: nothing was installed"
            )
        return f"SHA-256 {actual} verified against {sums.name}"
    names = " or ".join(s.name for s in sum_files)
    return f"version checked; no {names} beside it to check its SHA-256"


# --- kind -------------------------------------------------------------------------------------------


def pick_kind(files: Sequence[Path], where: Platform) -> tuple[Optional[Path], list[str]]:
    """kind's binary among the files (its release name first, else a file named kind), and a
    refusal for each kind built for another machine."""
    asset = kind_asset(where.os, where.arch)
    problems = []
    for file in files:
        other = _KIND_ANY.match(file.name)
        if other and file.name != asset and not file.name.endswith(".sha256sum"):
            problems.append(
                f"{file} is kind for {other['os']}/{other['arch']}; this machine needs {asset} "
                f"({KIND_RELEASE_PAGE.format(version=KIND_VERSION)})"
            )
    chosen = next((f for f in files if f.name == asset), None) or next((f for f in files if f.name == "kind"), None)
    return chosen, problems


def install_kind_from(
    source: Path, version: str = KIND_VERSION, dest_dir: Optional[Path] = None, where: Optional[Platform] = None
) -> str:
    """Installs the carried kind into dest_dir (default ~/.kindplane/bin); words for what happened."""
    where = where or this_platform()
    asset = kind_asset(where.os, where.arch)
    dest_dir = dest_dir or bin_dir()
    dest = dest_dir / "kind"
    if installed_kind_version(dest) == version:
        return f"kind {version} already installed at {dest}"
    sums = [source.with_name(f"{source.name}.sha256sum"), source.with_name(f"{asset}.sha256sum")]
    checked = verify_checksum(source, asset, list(dict.fromkeys(sums)))
    dest_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest_dir, prefix=".kind-carried-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as data:
            shutil.copyfileobj(data, out)
        tmp.chmod(0o755)
        found = installed_kind_version(tmp)
        release = f"carry {asset} of kind {version} ({KIND_RELEASE_PAGE.format(version=version)})"
        if found is None:
            raise SetupError(f"{source} is not kind (`kind version` did not answer `kind v…`); {release}")
        if found != version:
            raise SetupError(f"{source} is kind {found}; kindplane setup installs kind {version}: {release}")
        os.replace(tmp, dest)  # atomic: dest is either the old kind or the checked one
    finally:
        tmp.unlink(missing_ok=True)
    return f"installed kind {version} at {dest} from {source} ({checked})"


# --- the Pulumi CLI -------------------------------------------------------------------------------


def pulumi_asset(version: str, where: Platform) -> str:
    return f"pulumi-v{version}-{where.os}-{where.pulumi_arch}.tar.gz"


def pick_pulumi(files: Sequence[Path], where: Platform) -> tuple[Optional[Path], list[str]]:
    """The Pulumi CLI archive for this machine, else an unpacked `pulumi` binary; a refusal for
    each archive built for another machine."""
    problems, archives = [], []
    for file in files:
        found = _PULUMI_ARCHIVE.match(file.name)
        if not found:
            continue
        if (found["os"], found["arch"]) != (where.os, where.pulumi_arch):
            problems.append(
                f"{file} is the Pulumi CLI for {found['os']}/{found['arch']}; this machine needs "
                f"{pulumi_asset(PULUMI_VERSION, where)} ({PULUMI_VERSIONS_PAGE})"
            )
        else:
            archives.append(file)
    chosen = next((f for f in archives if f.name == pulumi_asset(PULUMI_VERSION, where)), None)
    chosen = chosen or (archives[0] if archives else None)
    return chosen or next((f for f in files if f.name == "pulumi"), None), problems


def _unpack_pulumi(source: Path, into: Path) -> None:
    """The archive's `pulumi/<file>` members (regular files only, no other path) into `into`."""
    try:
        with tarfile.open(source, "r:gz") as archive:
            for member in archive.getmembers():
                parts = member.name.split("/")
                if not (member.isfile() and len(parts) == 2 and parts[0] == "pulumi" and parts[1]):
                    continue
                data = archive.extractfile(member)
                assert data is not None  # a regular file always has data
                (into / parts[1]).write_bytes(data.read())
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise SetupError(f"{source} is not a readable Pulumi CLI archive ({exc}); nothing was installed") from None


def _copy_unpacked_pulumi(source: Path, into: Path) -> None:
    """`pulumi` and the language hosts beside it (`pulumi-language-python` runs the program)."""
    for file in [source, *sorted(source.parent.glob("pulumi-language-*"))]:
        if file.is_file():
            shutil.copyfile(file, into / file.name)


def pulumi_version_of(binary: Path) -> Optional[str]:
    """`pulumi version` prints e.g. `v3.274.1`; None when it cannot run or prints something else."""
    try:
        out = subprocess.run(
            [str(binary), "version"], capture_output=True, text=True, timeout=60, env=_quiet_pulumi_env()
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out[1:] if re.fullmatch(r"v\d+\.\d+\.\d+\S*", out) else None


def _quiet_pulumi_env() -> dict[str, str]:
    return {**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"}  # offline: no release check


def install_pulumi_from(
    source: Path, version: str = PULUMI_VERSION, root: Optional[Path] = None, where: Optional[Platform] = None
) -> str:
    """Installs the carried Pulumi CLI into <root>/bin (default ~/.kindplane/pulumi/bin)."""
    where = where or this_platform()
    root = root or pulumi_root()
    if pulumi_version_of(root / "bin" / "pulumi") == version:
        return f"Pulumi CLI {version} already installed at {root / 'bin' / 'pulumi'}"
    asset = pulumi_asset(version, where)
    archive = source.name != "pulumi"
    sums = [source.with_name(f"pulumi-{version}-checksums.txt")] if archive else []
    checked = (
        verify_checksum(source, source.name, sums) if archive else "version checked; unpacked: no checksum to check"
    )
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=root, prefix=".bin-carried-"))
    try:
        _unpack_pulumi(source, staging) if archive else _copy_unpacked_pulumi(source, staging)
        for file in staging.iterdir():
            file.chmod(0o755)
        binary = staging / "pulumi"
        found = pulumi_version_of(binary) if binary.is_file() else None
        carry = f"carry {asset} ({PULUMI_VERSIONS_PAGE}), or put your own Pulumi CLI on PATH"
        if found is None:
            raise SetupError(f"{source} holds no Pulumi CLI (`pulumi version` did not answer `v…`); {carry}")
        if found != version:
            raise SetupError(
                f"{source} is Pulumi CLI {found}; kindplane setup installs {version}, the version kindplane is "
                f"tested with: {carry}"
            )
        shutil.rmtree(root / "bin", ignore_errors=True)  # not this version (setup keeps a working Pulumi)
        os.replace(staging, root / "bin")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return f"installed Pulumi CLI {version} at {root / 'bin' / 'pulumi'} from {source} ({checked})"


# --- provider plugins ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CarriedPlugin:
    name: str
    version: str
    path: Path


def pick_plugins(
    files: Sequence[Path], where: Platform, wanted: dict[str, str]
) -> tuple[list[CarriedPlugin], list[str]]:
    """The plugin archives kindplane's program needs; a refusal for a wrong version or platform."""
    chosen, problems = [], []
    for file in files:
        found = _PLUGIN_ARCHIVE.match(file.name)
        if not found or found["name"] not in wanted:
            continue
        name, version = found["name"], found["version"]
        expected = f"pulumi-resource-{name}-v{wanted[name]}-{where.os}-{where.arch}.tar.gz"
        if (found["os"], found["arch"]) != (where.os, where.arch):
            problems.append(
                f"{file} is the {name} plugin for {found['os']}/{found['arch']}; this machine needs {expected}"
            )
        elif version != wanted[name]:
            problems.append(
                f"{file} is the {name} plugin {version}; kindplane's {PLUGIN_PACKAGES[name]} SDK asks for "
                f"{wanted[name]}: carry {expected}"
            )
        else:
            chosen.append(CarriedPlugin(name, version, file))
    return sorted(chosen, key=lambda plugin: list(wanted).index(plugin.name)), problems


def install_plugin_from(plugin: CarriedPlugin, pulumi: Optional[str] = None) -> str:
    """`pulumi plugin install resource NAME VERSION --file ARCHIVE`: into Pulumi's plugin cache,
    exactly where the engine looks for the version the SDK asks for."""
    pulumi = pulumi or find_pulumi()
    if pulumi is None:
        raise SetupError(f"the {plugin.name} plugin needs the Pulumi CLI to install it: carry the Pulumi CLI too")
    argv = [pulumi, "plugin", "install", "resource", plugin.name, plugin.version, "--file", str(plugin.path)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=_quiet_pulumi_env())
    except (OSError, subprocess.SubprocessError) as exc:
        raise SetupError(f"could not run `{' '.join(argv)}` ({exc})") from None
    if done.returncode != 0:
        why = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or [f"exit {done.returncode}"]
        raise SetupError(f"{plugin.path} was refused by `pulumi plugin install` ({why[0]}); nothing was installed")
    return f"installed Pulumi plugin {plugin.name} {plugin.version} from {plugin.path} (name and version checked)"
