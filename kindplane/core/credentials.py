"""Mirror, cluster.registries and registry.auth credentials: read at `up` from the environment
variables kindplane.yaml names.

The file holds only variable names, never secrets; a variable that is not set stops `up` before
anything is created, naming the key that asked for it.
"""

from __future__ import annotations

from typing import Mapping, Optional

from .config import ClusterConfig
from .errors import ConfigError, ConfigProblem


def mirror_credentials(cluster: ClusterConfig, environ: Mapping[str, str], file: str) -> dict[str, tuple[str, str]]:
    """mirror name → (user name, password) for every mirror with credentials."""
    named = [(m.name, f"cluster.mirrors[{i}]", m.credentials_env) for i, m in enumerate(cluster.mirrors)]
    return _read(named, environ, file)


def registry_credentials(cluster: ClusterConfig, environ: Mapping[str, str], file: str) -> dict[str, tuple[str, str]]:
    """cluster.registries host → (user name, password) for every entry with credentials."""
    named = [(r.host, f"cluster.registries[{i}]", r.credentials_env) for i, r in enumerate(cluster.registries)]
    return _read(named, environ, file)


def local_registry_credentials(
    cluster: ClusterConfig, environ: Mapping[str, str], file: str
) -> Optional[tuple[str, str]]:
    """registry.auth → (user name, password); None when the local registry asks for none."""
    auth = cluster.registry.auth
    if auth is None or not cluster.registry.enabled:
        return None
    password = environ.get(auth.password_env)
    if not password:
        raise ConfigError(
            [
                ConfigProblem(
                    file,
                    "cluster.registry.auth.passwordEnv",
                    f"environment variable {auth.password_env} is not set (or empty); export it before `kindplane "
                    "up` and the registry commands",
                )
            ]
        )
    return auth.username, password


def _read(
    named: list[tuple[str, str, Optional[tuple[str, str]]]], environ: Mapping[str, str], file: str
) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    problems: list[ConfigProblem] = []
    for name, key_path, variables in named:
        if variables is None:
            continue
        values = []
        for key, variable in zip(("usernameEnv", "passwordEnv"), variables):
            value = environ.get(variable)
            if not value:
                problems.append(
                    ConfigProblem(
                        file,
                        f"{key_path}.{key}",
                        f"environment variable {variable} is not set (or empty); export it before `kindplane up`",
                    )
                )
            values.append(value or "")
        found[name] = (values[0], values[1])
    if problems:
        raise ConfigError(problems)
    return found
