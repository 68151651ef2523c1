"""Mirror credentials: read at `up` from the environment variables kindplane.yaml names.

The file holds only variable names, never secrets; a variable that is not set stops `up` before
anything is created, naming the key that asked for it.
"""

from __future__ import annotations

from typing import Mapping

from .config import ClusterConfig
from .errors import ConfigError, ConfigProblem


def mirror_credentials(cluster: ClusterConfig, environ: Mapping[str, str], file: str) -> dict[str, tuple[str, str]]:
    """mirror name → (user name, password) for every mirror with credentials."""
    found: dict[str, tuple[str, str]] = {}
    problems: list[ConfigProblem] = []
    for i, mirror in enumerate(cluster.mirrors):
        variables = mirror.credentials_env
        if variables is None:
            continue
        values = []
        for key, variable in zip(("usernameEnv", "passwordEnv"), variables):
            value = environ.get(variable)
            if not value:
                problems.append(
                    ConfigProblem(
                        file,
                        f"cluster.mirrors[{i}].{key}",
                        f"environment variable {variable} is not set (or empty); export it before `kindplane up`",
                    )
                )
            values.append(value or "")
        found[mirror.name] = (values[0], values[1])
    if problems:
        raise ConfigError(problems)
    return found
