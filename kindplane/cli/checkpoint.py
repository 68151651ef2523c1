"""A stack's state read straight from a file backend: what `pulumi stack export` prints, without
starting the Pulumi CLI (two processes and about half a second on every `kindplane up`).

Only the layout Pulumi's DIY backend writes today is read — `.pulumi/meta.yaml` with `version: 1`
and `.pulumi/stacks/<project>/<stack>.json` (or `.json.gz`), holding `{"version": 3 or 4,
"checkpoint": {"latest": <deployment>}}`. Anything else (another backend, an older layout, a
newer version) returns None and the caller asks the CLI. Secrets stay as the ciphertext the file
holds: this is for the plain parts of the state.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any, Optional

# 3, and 4 since the engine records resource hooks; the parts kindplane reads are the same in both.
CHECKPOINT_VERSIONS = (3, 4)
LAYOUT_VERSION = "version: 1"


class NotReadable(Exception):
    """The backend is not one this module reads: ask the Pulumi CLI instead."""


def stack_files(backend_dir: Path, project: str, stack: str) -> list[Path]:
    base = backend_dir / ".pulumi" / "stacks" / project / stack
    return [base.with_name(f"{stack}.json"), base.with_name(f"{stack}.json.gz")]


def read_deployment(backend_dir: Path, project: str, stack: str) -> Optional[dict[str, Any]]:
    """The stack's deployment ({} for a stack that has never been updated); None when the stack
    does not exist. NotReadable when the folder is not a layout this reads."""
    meta = backend_dir / ".pulumi" / "meta.yaml"
    try:
        layout = meta.read_text(encoding="utf-8")
    except OSError:
        raise NotReadable(f"no {meta}") from None
    if LAYOUT_VERSION not in layout.splitlines():
        raise NotReadable(f"{meta} is not the project-scoped layout")
    for path in stack_files(backend_dir, project, stack):
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise NotReadable(str(exc)) from None
        try:
            text = gzip.decompress(raw) if path.suffix == ".gz" else raw
            document = json.loads(text)
        except (OSError, ValueError) as exc:
            raise NotReadable(f"{path}: {exc}") from None
        version = document.get("version") if isinstance(document, dict) else None
        if version not in CHECKPOINT_VERSIONS:
            raise NotReadable(f"{path}: checkpoint version {version!r}")
        return dict((document.get("checkpoint") or {}).get("latest") or {})
    return None
