"""The declarative core: config → render → components, with no Docker look-ups of its own.

`config` reads and validates kindplane.yaml; `render` turns it into kind config, hosts.toml,
ConfigMap data and shell command strings (pure functions); `components` wires those into Pulumi
resources. `kindplane.program` joins this core with the adoption look-up from `kindplane.ops`.
"""
