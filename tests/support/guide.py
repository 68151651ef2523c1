"""docs/local-registry-guide.md read the way a user reads it: fenced blocks and shell commands."""

from __future__ import annotations

import re
import shlex
import textwrap
from pathlib import Path

GUIDE_PATH = Path(__file__).resolve().parents[2] / "docs" / "local-registry-guide.md"
GUIDE = GUIDE_PATH.read_text()


def blocks(language: str) -> list[str]:
    """Fenced blocks of one language, list-indented ones included (dedented)."""
    fence = re.compile(r"^( *)```(\w*)\n(.*?)^\1```", re.M | re.S)
    return [textwrap.dedent(m.group(3)) for m in fence.finditer(GUIDE) if m.group(2) == language]


def commands() -> list[str]:
    """Every command line of the ```bash blocks, in order, comments left out."""
    lines = [line.strip() for block in blocks("bash") for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def pipeline(command: str) -> list[list[str]]:
    """`a b | c d` → [["a", "b"], ["c", "d"]]."""
    parts: list[list[str]] = [[]]
    for word in shlex.split(command):
        if word == "|":
            parts.append([])
        else:
            parts[-1].append(word)
    return parts
