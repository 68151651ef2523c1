"""The stack's outputs in plain text, remembered for as long as the state they were read from.

`pulumi stack output --show-secrets` (~0.45 s, the largest cost of a verified no-op `up`) is
needed for the kubeconfig, which the state holds encrypted. Its answer only changes when the
checkpoint does, so it is kept in ~/.kindplane/cache/outputs/ (owner-only) keyed by the
checkpoint file's sha256, and used while the file is byte for byte the same.

Only under the empty passphrase (kindplane's default, or PULUMI_CONFIG_PASSPHRASE set empty as
the Pulumi door's docs say): the checkpoint's "encryption" then protects nothing the cache would
expose, and kind writes the same kubeconfig to ~/.kube/config in plain text anyway. A user who set
a passphrase or PULUMI_CONFIG_PASSPHRASE_FILE chose to keep the kubeconfig encrypted: then nothing
is cached and `stack output` runs as before.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Optional

from ..ops.tools import kindplane_home


def cache_path(backend_dir: Path, project: str, stack: str) -> Path:
    key = hashlib.sha256(f"{backend_dir.resolve()}|{project}|{stack}".encode()).hexdigest()[:32]
    return kindplane_home() / "cache" / "outputs" / f"{key}.json"


def remembered(path: Path, state: str) -> Optional[dict[str, Any]]:
    """The outputs read from the state whose digest is `state`, or None."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(found, dict) or found.get("state") != state or not isinstance(found.get("outputs"), dict):
        return None
    return dict(found["outputs"])


def remember(path: Path, state: str, outputs: dict[str, Any]) -> None:
    """Keeps them, readable by this account only; a folder that cannot be written is a slower run."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as handle:
            os.chmod(handle.name, 0o600)
            json.dump({"state": state, "outputs": outputs}, handle)
        os.replace(handle.name, path)
    except OSError:
        pass
