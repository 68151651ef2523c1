"""Options shared by every command (-c/-s/--backend/-v), kept on Typer's context object."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..config import DEFAULT_FILE, KindplaneConfig, load_config

EXIT_FAILED = 1  # something is wrong with the environment (Docker down, check failed, …)
EXIT_USAGE = 2  # bad arguments or an invalid kindplane.yaml


def default_backend() -> str:
    """PULUMI_BACKEND_URL wins; otherwise a file backend under ~/.kindplane (no Pulumi login)."""
    return os.environ.get("PULUMI_BACKEND_URL") or (Path.home() / ".kindplane" / "state").as_uri()


@dataclass
class CliContext:
    config_path: Path = Path(DEFAULT_FILE)
    stack: Optional[str] = None
    backend: Optional[str] = None
    verbose: bool = False

    def load(self) -> KindplaneConfig:
        """Raises ConfigError; commands turn it into exit code 2 with every problem listed."""
        return load_config(self.config_path)

    def stack_name(self, config: KindplaneConfig) -> str:
        return self.stack or config.cluster.name

    def backend_url(self) -> str:
        return self.backend or default_backend()
