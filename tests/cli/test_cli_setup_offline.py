"""`kindplane setup --from`: the tools installed from files carried to a machine without network.

kind is the harness's stand-in (tests/harness/bin/kind answers `kind v0.29.0 …`), behind a small
launcher since the stand-in finds its modules next to itself; the Pulumi CLI and the plugins are
scripts answering `version` (a real Pulumi CLI: tests/engine/test_engine_setup_offline.py).
"""

from __future__ import annotations

import hashlib
import io
import shlex
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from cli_support import write_exe
from harness.shell import BIN_DIR

from kindplane.ops import setup_offline as offline
from kindplane.ops.setup_tools import SetupError, kind_asset
from kindplane.ops.tools import KIND_VERSION, PULUMI_VERSION

HERE = offline.this_platform()
KIND_ASSET = kind_asset()
PULUMI_ASSET = offline.pulumi_asset(PULUMI_VERSION, HERE)
STANDIN_KIND = f'#!/bin/sh\nexec {shlex.quote(sys.executable)} {shlex.quote(str(BIN_DIR / "kind"))} "$@"\n'
KIND_RELEASE = f"https://github.com/kubernetes-sigs/kind/releases/tag/{KIND_VERSION}"


def fake_pulumi(version: str = PULUMI_VERSION, log: Path | None = None) -> bytes:
    """A Pulumi CLI that answers `version` and records every other call in `log`."""
    record = f'echo "$@" >> {shlex.quote(str(log))}\n' if log else ""
    return f'#!/bin/sh\nif [ "$1" = version ]; then echo v{version}; exit 0; fi\n{record}'.encode()


def tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def carry(tmp_path) -> Path:
    """The folder a user carries: add files with carry_kind / carry_pulumi / carry_plugin."""
    folder = tmp_path / "usb"
    folder.mkdir()
    return folder


def carry_kind(folder: Path, text: str = STANDIN_KIND, name: str = KIND_ASSET, checksum: str | None = "") -> Path:
    path = folder / name
    path.write_text(text)  # not executable: permissions rarely survive a USB stick
    if checksum is not None:
        (folder / f"{name}.sha256sum").write_text(f"{checksum or sha256(text.encode())}  {name}\n")
    return path


def carry_pulumi(folder: Path, binary: bytes | None = None, checksum: str | None = "") -> Path:
    archive = tar_gz({"pulumi/pulumi": binary or fake_pulumi(), "pulumi/pulumi-language-python": b"#!/bin/sh\n"})
    path = folder / PULUMI_ASSET
    path.write_bytes(archive)
    if checksum is not None:
        (folder / f"pulumi-{PULUMI_VERSION}-checksums.txt").write_text(
            f"{'0' * 64}  pulumi-v{PULUMI_VERSION}-windows-x64.zip\n{checksum or sha256(archive)}  {PULUMI_ASSET}\n"
        )
    return path


def carry_plugin(folder: Path, name: str, version: str, platform: str = f"{HERE.os}-{HERE.arch}") -> Path:
    path = folder / f"pulumi-resource-{name}-v{version}-{platform}.tar.gz"
    path.write_bytes(tar_gz({f"pulumi-resource-{name}": b"#!/bin/sh\n"}))
    return path


def runs(binary: Path) -> str:
    return subprocess.run([str(binary), "version"], capture_output=True, text=True, timeout=30).stdout.strip()


# --- kind -----------------------------------------------------------------------------------------


def test_kind_is_installed_after_its_checksum_and_its_version_are_checked(carry, tmp_path):
    source = carry_kind(carry)
    message = offline.install_kind_from(source, dest_dir=tmp_path / "bin")
    kind = tmp_path / "bin" / "kind"
    assert runs(kind).startswith(f"kind {KIND_VERSION} ")
    assert message == (
        f"installed kind {KIND_VERSION} at {kind} from {source} (SHA-256 {sha256(STANDIN_KIND.encode())} "
        f"verified against {KIND_ASSET}.sha256sum)"
    )
    assert sorted(p.name for p in (tmp_path / "bin").iterdir()) == ["kind"]  # no temporary file left
    assert (
        offline.install_kind_from(source, dest_dir=tmp_path / "bin")
        == f"kind {KIND_VERSION} already installed at {kind}"
    )


def test_kind_without_its_checksum_file_is_checked_by_version_and_says_so(carry, tmp_path):
    message = offline.install_kind_from(carry_kind(carry, name="kind", checksum=None), dest_dir=tmp_path / "bin")
    assert message.endswith(
        f"(version checked; no kind.sha256sum or {KIND_ASSET}.sha256sum beside it to check its SHA-256)"
    )
    assert runs(tmp_path / "bin" / "kind").startswith(f"kind {KIND_VERSION} ")


def test_a_kind_that_does_not_match_its_checksum_file_is_refused_and_the_old_one_kept(carry, tmp_path):
    old = write_exe(tmp_path / "bin" / "kind", "#!/bin/sh\necho 'kind v0.20.0'\n")
    source = carry_kind(carry, checksum="1" * 64)
    with pytest.raises(SetupError) as refused:
        offline.install_kind_from(source, dest_dir=tmp_path / "bin")
    assert str(refused.value) == (
        f"checksum mismatch for {source}: it hashes to {sha256(STANDIN_KIND.encode())}, {KIND_ASSET}.sha256sum "
        f"publishes {'1' * 64}; the file is damaged or not the release's: nothing was installed"
    )
    assert old.read_text() == "#!/bin/sh\necho 'kind v0.20.0'\n"
    assert sorted(p.name for p in (tmp_path / "bin").iterdir()) == ["kind"]


CARRY_KIND = f"carry {KIND_ASSET} of kind {KIND_VERSION} ({KIND_RELEASE})"


@pytest.mark.parametrize(
    "text, why",
    [
        (
            "#!/bin/sh\necho 'kind v0.28.0 go1.24.2 linux/amd64'\n",
            f"is kind v0.28.0; kindplane setup installs kind {KIND_VERSION}: {CARRY_KIND}",
        ),
        (
            "#!/bin/sh\necho 'Docker version 27'\n",
            f"is not kind (`kind version` did not answer `kind v…`); {CARRY_KIND}",
        ),
    ],
    ids=["another-release", "not-kind"],
)
def test_a_wrong_binary_is_refused_with_the_release_to_carry(carry, tmp_path, text, why):
    source = carry_kind(carry, text=text)
    with pytest.raises(SetupError) as refused:
        offline.install_kind_from(source, dest_dir=tmp_path / "bin")
    assert str(refused.value) == f"{source} {why}"
    assert list((tmp_path / "bin").iterdir()) == []  # nothing installed, no temporary file left


def test_kind_for_another_machine_is_refused_by_name(carry):
    (carry / "kind-windows-arm64").write_text(STANDIN_KIND)  # kindplane runs on Linux and macOS only
    chosen, problems = offline.pick_kind(offline.carried_files([carry]), HERE)
    assert chosen is None
    assert problems == [
        f"{carry / 'kind-windows-arm64'} is kind for windows/arm64; this machine needs {KIND_ASSET} ({KIND_RELEASE})"
    ]


# --- the Pulumi CLI -------------------------------------------------------------------------------


def test_the_pulumi_archive_is_unpacked_after_its_checksum_and_version_are_checked(carry, tmp_path):
    source = carry_pulumi(carry)
    root = tmp_path / "pulumi"
    message = offline.install_pulumi_from(source, root=root)
    assert runs(root / "bin" / "pulumi") == f"v{PULUMI_VERSION}"
    assert sorted(p.name for p in (root / "bin").iterdir()) == ["pulumi", "pulumi-language-python"]
    assert message == (
        f"installed Pulumi CLI {PULUMI_VERSION} at {root / 'bin' / 'pulumi'} from {source} (SHA-256 "
        f"{sha256(source.read_bytes())} verified against pulumi-{PULUMI_VERSION}-checksums.txt)"
    )
    assert [p.name for p in root.iterdir()] == ["bin"]  # no staging folder left
    assert (
        offline.install_pulumi_from(source, root=root)
        == f"Pulumi CLI {PULUMI_VERSION} already installed at {root / 'bin' / 'pulumi'}"
    )


def test_an_unpacked_pulumi_comes_with_its_language_hosts(carry, tmp_path):
    write_exe(carry / "pulumi" / "pulumi", fake_pulumi().decode())
    write_exe(carry / "pulumi" / "pulumi-language-python", "#!/bin/sh\n")
    write_exe(carry / "pulumi" / "pulumi-language-python-exec", "#!/bin/sh\n")
    source, problems = offline.pick_pulumi(offline.carried_files([carry]), HERE)
    assert (source, problems) == (carry / "pulumi" / "pulumi", [])
    root = tmp_path / "pulumi-root"
    assert offline.install_pulumi_from(source, root=root).endswith("(version checked; unpacked: no checksum to check)")
    assert sorted(p.name for p in (root / "bin").iterdir()) == [
        "pulumi",
        "pulumi-language-python",
        "pulumi-language-python-exec",
    ]


def test_a_pulumi_of_another_version_is_refused_and_nothing_is_installed(carry, tmp_path):
    source = carry_pulumi(carry, binary=fake_pulumi("3.100.0"))
    with pytest.raises(SetupError) as refused:
        offline.install_pulumi_from(source, root=tmp_path / "pulumi")
    assert str(refused.value) == (
        f"{source} is Pulumi CLI 3.100.0; kindplane setup installs {PULUMI_VERSION}, the version kindplane is tested "
        f"with: carry {PULUMI_ASSET} ({offline.PULUMI_VERSIONS_PAGE}), or put your own Pulumi CLI on PATH"
    )
    assert list((tmp_path / "pulumi").iterdir()) == []


def test_a_pulumi_archive_that_does_not_match_the_releases_checksums_is_refused(carry, tmp_path):
    source = carry_pulumi(carry, checksum="2" * 64)
    with pytest.raises(SetupError, match=f"checksum mismatch for {source}: it hashes to [0-9a-f]{{64}}, pulumi-"):
        offline.install_pulumi_from(source, root=tmp_path / "pulumi")
    assert not (tmp_path / "pulumi").exists()


def test_a_file_that_is_not_a_pulumi_archive_is_refused(carry, tmp_path):
    source = carry / PULUMI_ASSET
    source.write_bytes(b"<html>rate limited</html>")
    with pytest.raises(SetupError, match=f"{source} is not a readable Pulumi CLI archive"):
        offline.install_pulumi_from(source, root=tmp_path / "pulumi")


# --- provider plugins -----------------------------------------------------------------------------


def test_plugins_of_the_versions_the_sdks_ask_for_are_picked_others_refused(carry):
    wanted = offline.plugin_versions()
    good = carry_plugin(carry, "docker", wanted["docker"])
    old = carry_plugin(carry, "command", "0.9.0")
    foreign = carry_plugin(carry, "kubernetes", wanted["kubernetes"], platform="windows-arm64")
    carry_plugin(carry, "aws", "6.0.0")  # not one kindplane's program uses: left alone
    chosen, problems = offline.pick_plugins(offline.carried_files([carry]), HERE, wanted)
    assert chosen == [offline.CarriedPlugin("docker", wanted["docker"], good)]
    here = f"{HERE.os}-{HERE.arch}"
    assert problems == [
        f"{old} is the command plugin 0.9.0; kindplane's pulumi-command SDK asks for {wanted['command']}: carry "
        f"pulumi-resource-command-v{wanted['command']}-{here}.tar.gz",
        f"{foreign} is the kubernetes plugin for windows/arm64; this machine needs "
        f"pulumi-resource-kubernetes-v{wanted['kubernetes']}-{here}.tar.gz",
    ]


def test_the_plugin_versions_are_the_sdk_packages_own():
    from importlib import metadata

    assert offline.plugin_versions() == {
        "docker": metadata.version("pulumi-docker"),
        "command": metadata.version("pulumi-command"),
        "kubernetes": metadata.version("pulumi-kubernetes"),
    }


# --- the command ----------------------------------------------------------------------------------


def test_setup_from_a_folder_installs_everything_carried_offline(cli, home, carry, tmp_path, monkeypatch):
    monkeypatch.setenv("KINDPLANE_KIND_BASE_URL", "http://127.0.0.1:9/")  # any download would fail
    log = tmp_path / "pulumi-calls"
    carry_kind(carry)
    carry_pulumi(carry, binary=fake_pulumi(log=log))
    wanted = offline.plugin_versions()
    plugins = {name: carry_plugin(carry, name, version) for name, version in wanted.items()}
    result = cli(["setup", "--from", str(carry)])
    assert result.exit_code == 0, result.output
    pulumi = home / "pulumi" / "bin" / "pulumi"
    assert result.stdout.splitlines() == [
        f"installed kind {KIND_VERSION} at {home / 'bin' / 'kind'} from {carry / KIND_ASSET} (SHA-256 "
        f"{sha256(STANDIN_KIND.encode())} verified against {KIND_ASSET}.sha256sum)",
        f"installed Pulumi CLI {PULUMI_VERSION} at {pulumi} from {carry / PULUMI_ASSET} (SHA-256 "
        f"{sha256((carry / PULUMI_ASSET).read_bytes())} verified against pulumi-{PULUMI_VERSION}-checksums.txt)",
        *(f"installed Pulumi plugin {n} {v} from {plugins[n]} (name and version checked)" for n, v in wanted.items()),
        "Ready: Docker is the only other prerequisite. Next: `kindplane up`",
    ]
    assert log.read_text().splitlines() == [
        f"plugin install resource {n} {v} --file {plugins[n]}" for n, v in wanted.items()
    ]
    assert result.stderr == ""
    doctor = cli(["doctor"])
    assert f"✓ kind installed: {KIND_VERSION} at {home / 'bin' / 'kind'}" in doctor.stdout
    assert f"✓ Pulumi CLI installed: v{PULUMI_VERSION} at {pulumi}" in doctor.stdout


def test_setup_from_names_what_is_missing_and_refused_and_exits_1(cli, home, carry):
    carry_kind(carry, text="#!/bin/sh\necho 'kind v0.28.0'\n")
    result = cli(["setup", "--from", str(carry)])
    assert result.exit_code == 1
    here = f"{HERE.os}-{HERE.arch}"
    assert result.stderr.splitlines() == [
        "note: plugins not carried: "
        + ", ".join(f"{n} {v}" for n, v in offline.plugin_versions().items())
        + f"; `kindplane up` downloads a plugin Pulumi's plugin cache lacks (offline, carry "
        f"pulumi-resource-<name>-v<version>-{here}.tar.gz)",
        f"error: no Pulumi CLI in {carry}: carry {PULUMI_ASSET} and pulumi-{PULUMI_VERSION}-checksums.txt "
        f"({offline.PULUMI_VERSIONS_PAGE})",
        f"error: {carry / KIND_ASSET} is kind v0.28.0; kindplane setup installs kind {KIND_VERSION}: carry "
        f"{KIND_ASSET} of kind {KIND_VERSION} ({KIND_RELEASE})",
    ]
    assert not (home / "bin" / "kind").exists()


def test_setup_from_a_path_that_does_not_exist_is_a_usage_error(cli, home, tmp_path):
    result = cli(["setup", "--from", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
