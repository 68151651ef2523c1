"""One doctor check's outcome: shared by the registry checks (doctor) and the mirror checks."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

OK, FAIL, SKIP = "ok", "fail", "skip"


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # ok | fail | skip
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


def container_not_running(title: str, name: str, attrs: Optional[dict], missing_fix: Optional[str]) -> Optional[CheckResult]:
    """The failure for a container that is missing or stopped (with its fix); None when it runs."""
    import shlex

    if attrs is None:
        return fail(title, f"no container named {name}", missing_fix)
    state = attrs.get("State") or {}
    if not state.get("Running"):
        return fail(title, f"container is {state.get('Status', 'not running')}", f"docker start {shlex.quote(name)}")
    return None
