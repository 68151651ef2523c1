"""A handshake with the `kind` stand-in, in place of fixed sleeps: the test learns the moment a
`kind create cluster` (or `delete cluster`) is in its middle, acts, then lets it go on."""

from __future__ import annotations

import time
from pathlib import Path

from .standin_kind import CREATE_HOLD_ENV, DELETE_HOLD_ENV, HOLD_LIMIT

VARIABLES = {"create": CREATE_HOLD_ENV, "delete": DELETE_HOLD_ENV}


class Hold:
    """`env()` goes into the run's environment; `wait_held()` returns once the stand-in stopped
    there; `release()` lets it go on (a stand-in left holding goes on by itself after HOLD_LIMIT)."""

    def __init__(self, folder: Path, step: str):
        self.folder, self.step = folder, step
        folder.mkdir(parents=True, exist_ok=True)

    def env(self) -> dict[str, str]:
        return {VARIABLES[self.step]: str(self.folder)}

    def held(self) -> bool:
        return (self.folder / f"{self.step}.held").exists()

    def wait_held(self, timeout: float = HOLD_LIMIT) -> None:
        deadline = time.monotonic() + timeout
        while not self.held():
            assert time.monotonic() < deadline, f"kind {self.step} cluster never reached the hold"
            time.sleep(0.05)

    def release(self) -> None:
        (self.folder / "release").touch()
