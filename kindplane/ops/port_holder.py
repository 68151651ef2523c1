"""Who holds a TCP port on this host, in words a user can act on: `python3 (pid 4242)`.

Read from /proc (Linux): the listening socket's inode in /proc/net/tcp{,6}, then the process
whose file descriptors include that socket. Elsewhere, or without the rights to look, None.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

LISTEN = "0A"  # the kernel's TCP_LISTEN state in /proc/net/tcp


def listening_inodes(port: int) -> set[str]:
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == LISTEN and int(fields[1].rsplit(":", 1)[1], 16) == port:
                found.add(fields[9])
    return found


def port_holder(port: int) -> Optional[str]:
    """`<program> (pid <n>)` of the process listening on TCP `port`, or None when unknown."""
    inodes = {f"socket:[{inode}]" for inode in listening_inodes(port)}
    if not inodes:
        return None
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            descriptors = os.listdir(proc / "fd")
        except OSError:
            continue
        for fd in descriptors:
            try:
                if os.readlink(proc / "fd" / fd) in inodes:
                    return f"{(proc / 'comm').read_text().strip()} (pid {proc.name})"
            except OSError:
                continue
    return None
