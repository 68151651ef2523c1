"""The config file every command reads unless -c says otherwise.

A module of its own so the CLI names it without importing pydantic, and so `config` (which
needs it) and `naming` (which reads config types) never import each other.
"""

DEFAULT_FILE = "kindplane.yaml"
