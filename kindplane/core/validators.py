"""Value checks shared by kindplane's own schema and the cluster.kind fragment's."""

from __future__ import annotations

import ipaddress


def ip_address(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"must be an IP address such as 127.0.0.1, got {value!r}") from None
    return value
