"""Where kindplane finds (and `kindplane setup` puts) the tools it drives: kind and the Pulumi CLI.

Tools installed by `kindplane setup` live under ~/.kindplane (KINDPLANE_HOME overrides it), so
nothing needs root and nothing outside that folder changes. Ours are looked up before $PATH so
that the pinned versions win once installed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Optional

from ..core.versions import PULUMI_CLI_VERSION

# Pinned versions `kindplane setup` installs (the Pulumi CLI: core.versions). kind's checksum is
# never pinned here: it is read from the .sha256sum file the release publishes beside the binary,
# at install time.
KIND_VERSION = "v0.33.0"
PULUMI_VERSION = PULUMI_CLI_VERSION


def account_home() -> Path:
    """The OS account's home, as Pulumi reads `~` in a `file://~/…` backend URL (Go's
    user.Current(): the passwd entry, $HOME only for an account passwd does not know). It is not
    $HOME when that differs (sudo without -H, some CI and container set-ups): kindplane's `~`
    is Pulumi's, so both doors always find the same state."""
    import pwd

    try:
        return Path(pwd.getpwuid(os.getuid()).pw_dir)
    except KeyError:
        return Path.home()


def kindplane_home() -> Path:
    return Path(os.environ.get("KINDPLANE_HOME") or account_home() / ".kindplane")


def bin_dir() -> Path:
    """Where `kindplane setup` installs kind."""
    return kindplane_home() / "bin"


def pulumi_root() -> Path:
    """PulumiCommand.install's root: the CLI ends up at <root>/bin/pulumi."""
    return kindplane_home() / "pulumi"


def _executable(path: Path) -> Optional[str]:
    return str(path) if path.is_file() and os.access(path, os.X_OK) else None


def find_kind() -> Optional[str]:
    return _executable(bin_dir() / "kind") or shutil.which("kind")


def find_pulumi() -> Optional[str]:
    return _executable(pulumi_root() / "bin" / "pulumi") or shutil.which("pulumi")


def search_path() -> str:
    """$PATH with our tool folders first: what Pulumi's command provider runs `kind` with."""
    ours = [str(bin_dir()), str(pulumi_root() / "bin")]
    return os.pathsep.join(ours + [os.environ.get("PATH", "")])
