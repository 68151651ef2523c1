"""The local registry's htpasswd (registry.auth): the file distribution reads, the settings that
point it there, and the Authorization header each node's hosts.toml sends with every request.

containerd sends a hosts.toml `header` on every request to that host, so the nodes' pulls carry the
credentials whatever asks for the image (the CRI, `ctr`, a mirror's name); kubelet's credentials
would reach only the CRI, and containerd gives those to the image's own host, not the mirror host.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

# Kept with the images, as the TLS files are: whatever keeps the images keeps the password file.
REGISTRY_AUTH_DIR = "/var/lib/registry/kindplane-auth"
HTPASSWD_FILE = "htpasswd"
# distribution's configuration overrides (configuration.Auth["htpasswd"]).
AUTH_ENV = ["REGISTRY_AUTH=htpasswd", "REGISTRY_AUTH_HTPASSWD_REALM=kindplane"]
HTPASSWD_PATH_ENV = "REGISTRY_AUTH_HTPASSWD_PATH"
# distribution 2.8 reads the file once, at start: a changed password is a changed env, so a new
# container (on the same volume) reads it.
FINGERPRINT_ENV = "KINDPLANE_HTPASSWD_SHA256"
# Apache htpasswd -B's cost: the registry checks the password on every request (each blob of a pull).
BCRYPT_ROUNDS = 5


@dataclass(frozen=True)
class RegistryAuth:
    """The credentials (from the environment) and the htpasswd line kept in the registry's volume."""

    username: str
    password: str
    htpasswd: str

    def __repr__(self) -> str:  # never print the password
        return f"RegistryAuth(username={self.username!r})"

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.htpasswd.encode()).hexdigest()

    @property
    def authorization(self) -> str:
        return basic_authorization(self.username, self.password)


def basic_authorization(username: str, password: str) -> str:
    """The HTTP Authorization header value: what `docker login` would send."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def new_htpasswd(username: str, password: str) -> str:
    import bcrypt

    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=BCRYPT_ROUNDS)).decode()
    return f"{username}:{hashed}\n"


def htpasswd_accepts(text: str, username: str, password: str) -> bool:
    """True when the file holds exactly this user, with this password: it can stay as it is."""
    import bcrypt

    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) != 1 or ":" not in lines[0]:
        return False
    user, hashed = lines[0].split(":", 1)
    try:
        return user == username and bcrypt.checkpw(password.encode(), hashed.encode())
    except ValueError:  # not a bcrypt hash
        return False


def registry_auth_env(auth: RegistryAuth) -> list[str]:
    path = f"{REGISTRY_AUTH_DIR}/{HTPASSWD_FILE}"
    return [*AUTH_ENV, f"{HTPASSWD_PATH_ENV}={path}", f"{FINGERPRINT_ENV}={auth.fingerprint}"]
