"""Durations (`7d`, `36h`, `90m`, `0`) and sizes (`10GB`, `512MiB`, `2000000`) as users write them."""

from __future__ import annotations

import re

_DURATION = re.compile(r"^(\d+)(s|m|h|d|w)$")
_DURATION_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*(B|kB|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$")
_SIZE_FACTOR = {
    None: 1,
    "B": 1,
    "kB": 10**3,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KiB": 2**10,
    "MiB": 2**20,
    "GiB": 2**30,
    "TiB": 2**40,
}
DURATION_PATTERN = r"^(0|[0-9]+(s|m|h|d|w))$"
SIZE_PATTERN = r"^[0-9]+(\.[0-9]+)?\s*(B|kB|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$"


def parse_duration(text: str) -> int:
    """Seconds; `0` is zero. Raises ValueError with the accepted forms."""
    if text == "0":
        return 0
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"must be a duration such as 90m, 36h, 7d or 2w (or 0), got {text!r}")
    return int(match.group(1)) * _DURATION_SECONDS[match.group(2)]


def parse_size(text: str) -> int:
    """Bytes. kB/MB/GB are powers of 1000 (as `registry du` prints them), KiB/MiB/GiB of 1024."""
    match = _SIZE.match(text.strip())
    if match is None:
        raise ValueError(f"must be a size such as 500MB, 10GB or 8GiB, got {text!r}")
    return int(float(match.group(1)) * _SIZE_FACTOR[match.group(2)])


def go_duration(seconds: int) -> str:
    """What distribution's config (Go's time.ParseDuration, through yaml) reads: `604800s`."""
    return f"{seconds}s"
