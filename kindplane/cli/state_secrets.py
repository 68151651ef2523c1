"""The stack's outputs with their secrets in plain text, read from a file backend's checkpoint
under the empty passphrase: what `pulumi stack output --json --show-secrets` prints, without
starting the Pulumi CLI (~0.45 s, most of a verified no-op `up` after an engine run).

Pulumi's passphrase secrets manager (sdk/go/common/resource/config/crypt.go, pkg/secrets/passphrase):
the key is PBKDF2-HMAC-SHA256(passphrase, salt, 1,000,000 rounds, 32 bytes); a secret is
`v1:<nonce>:<sealed>` (base64, AES-256-GCM) of the value's JSON; the provider's state is
`v1:<salt>:<"pulumi" sealed>`, which tells whether a passphrase is the right one.

Only the empty passphrase (kindplane's default, or PULUMI_CONFIG_PASSPHRASE set empty as the
Pulumi door's docs say): its key protects nothing that anyone holding the file could not derive,
so it is remembered per salt (~0.25 s to derive) in ~/.kindplane/cache/ (owner-only); no plain
text is ever written. Anything else (another secrets provider, an unknown layout or value, a
passphrase of the user's) returns None and the caller asks the Pulumi CLI.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Optional

from ..ops.tools import kindplane_home

# Pulumi's marker of a special value in serialized properties, and its value for a secret.
SPECIAL_SIG = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
ROOT_STACK_TYPE = "pulumi:pulumi:Stack"
KDF_ROUNDS = 1_000_000
CHECK_PLAINTEXT = b"pulumi"


class Unreadable(Exception):
    """Not something this module reads: the caller asks the Pulumi CLI."""


def stack_outputs(deployment: dict[str, Any]) -> Optional[dict[str, Any]]:
    """The root stack's outputs, secrets decrypted with the empty passphrase's key; None when
    only the Pulumi CLI can tell."""
    resources = deployment.get("resources") or []
    roots = [r for r in resources if isinstance(r, dict) and r.get("type") == ROOT_STACK_TYPE]
    if len(roots) != 1:
        return {} if not resources else None  # a stack never updated has no outputs
    outputs = roots[0].get("outputs") or {}
    try:
        if not isinstance(outputs, dict):
            raise Unreadable("outputs are not an object")
        key = empty_passphrase_key(deployment.get("secrets_providers")) if _sealed(outputs) else b""
        return {name: _reveal(value, key) for name, value in outputs.items()}
    except Unreadable:
        return None


def empty_passphrase_key(provider: Any) -> bytes:
    """The AES key the empty passphrase gives under this passphrase provider's salt, checked
    against the provider's own sealed "pulumi"."""
    state = provider.get("state") if isinstance(provider, dict) and provider.get("type") == "passphrase" else None
    words = str((state or {}).get("salt") or "").split(":", 2)
    if len(words) != 3 or words[0] != "v1":
        raise Unreadable("not a passphrase provider this reads")
    salt, check = _b64(words[1]), words[2]
    kept = _key_file(words[1])
    remembered = _read_key(kept)
    if remembered is not None and _unlocks(check, remembered):
        return remembered
    key = hashlib.pbkdf2_hmac("sha256", b"", salt, KDF_ROUNDS, 32)
    if not _unlocks(check, key):
        raise Unreadable("the stack's passphrase is not the empty one")
    _write_key(kept, key)
    return key


def _unlocks(check: str, key: bytes) -> bool:
    try:
        return _open(check, key) == CHECK_PLAINTEXT
    except Unreadable:
        return False


def _reveal(value: Any, key: bytes) -> Any:
    if isinstance(value, list):
        return [_reveal(item, key) for item in value]
    if not isinstance(value, dict):
        return value
    if SPECIAL_SIG not in value:
        return {name: _reveal(item, key) for name, item in value.items()}
    if value.get(SPECIAL_SIG) != SECRET_SIG:
        raise Unreadable("an asset, archive or resource reference")  # `stack output` renders those
    try:
        if isinstance(value.get("plaintext"), str):  # `stack export --show-secrets` opened it already
            plain = json.loads(value["plaintext"])
        elif isinstance(value.get("ciphertext"), str):
            plain = json.loads(_open(value["ciphertext"], key))
        else:
            raise Unreadable("a secret with neither ciphertext nor plaintext")
    except ValueError:
        raise Unreadable("a secret that is not JSON") from None
    return _reveal(plain, key)


def _sealed(value: Any) -> bool:
    if isinstance(value, list):
        return any(_sealed(item) for item in value)
    if not isinstance(value, dict):
        return False
    return "ciphertext" in value if SPECIAL_SIG in value else any(_sealed(v) for v in value.values())


def _open(sealed: str, key: bytes) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    words = sealed.split(":")
    if len(words) != 3 or words[0] != "v1":
        raise Unreadable("not a v1 secret")
    try:
        return AESGCM(key).decrypt(_b64(words[1]), _b64(words[2]), None)
    except (InvalidTag, ValueError):
        raise Unreadable("does not decrypt with this key") from None


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Unreadable("not base64") from None


def _key_file(salt: str) -> Path:
    name = hashlib.sha256(salt.encode()).hexdigest()[:32]
    return kindplane_home() / "cache" / "empty-passphrase-keys" / name


def _read_key(path: Path) -> Optional[bytes]:
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None
    return key if len(key) == 32 else None


def _write_key(path: Path, key: bytes) -> None:
    """Owner-only; a folder that cannot be written is only a slower next run."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as handle:
            os.chmod(handle.name, 0o600)
            handle.write(key.hex())
        os.replace(handle.name, path)
    except OSError:
        pass
