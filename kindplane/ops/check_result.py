"""One doctor check's outcome: shared by the registry checks (doctor) and the mirror checks."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

OK, FAIL, SKIP, WARN = "ok", "fail", "skip", "warn"  # a warning passes (exit 0) but shows its fix


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # ok | fail | skip | warn
    detail: str = ""
    fix: Optional[str] = None  # a shell command, every value quoted

    @property
    def ok(self) -> bool:
        return self.status != FAIL

    def as_dict(self) -> dict:
        return asdict(self)


def ok(name: str, detail: str = "") -> CheckResult:
    return CheckResult(name, OK, detail)


def fail(name: str, detail: str, fix: Optional[str] = None) -> CheckResult:
    return CheckResult(name, FAIL, detail, fix)


def skip(name: str, detail: str) -> CheckResult:
    return CheckResult(name, SKIP, detail)


def warn(name: str, detail: str, fix: Optional[str] = None) -> CheckResult:
    return CheckResult(name, WARN, detail, fix)
