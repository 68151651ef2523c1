"""Which program made the state: kindplane's own code and the Pulumi packages it registers
resources through. A new kindplane (or provider SDK) may register other inputs for the same
kindplane.yaml, so an `up` that finds another identity in the state runs the engine."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import metadata
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
SDKS = ("pulumi", "pulumi-docker", "pulumi-command", "pulumi-kubernetes")


@lru_cache(maxsize=1)
def program_identity() -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in PACKAGE.rglob("*") if p.suffix in (".py", ".json") and p.is_file()):
        digest.update(str(path.relative_to(PACKAGE)).encode() + b"\0" + path.read_bytes() + b"\0")
    for sdk in SDKS:
        try:
            digest.update(f"{sdk}={metadata.version(sdk)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{sdk}=none\0".encode())
    return digest.hexdigest()
