"""`kindplane.Environment` for a Pulumi program of your own: what kindplane's own program makes
from one kindplane.yaml, with everything it does around the graph.

    import pulumi
    from kindplane import Environment, load_config

    env = Environment("dev", load_config("kindplane.yaml"))
    pulumi.export("kubeconfig", env.cluster.kubeconfig)

Before it registers anything it makes the look-ups `kindplane up` and `pulumi up` on kindplane's
project make (kindplane.program.environment_args): a registry or mirror kept by an earlier
`destroy` (persistent: true) is taken back with its data, a foreign or another stack's container
of the name is refused with the fix, a renamed one moves its data, drift is read back and
repaired, an external registry is found at its live port, mirror credentials are read from the
environment. Its Docker resources go through an explicit provider for the daemon the docker CLI
uses (contexts included). The pieces (KindCluster, LocalRegistry, …) stay plain components.
"""

from __future__ import annotations

from typing import Optional

import pulumi

from .core.components import Environment as WiredEnvironment
from .core.config import DEFAULT_FILE, KindplaneConfig
from .core.errors import ConfigError
from .core.naming import BadEnvironment
from .core.versions import VersionTooOld
from .ops.docker_endpoint import EndpointError
from .ops.docker_lookup import AdoptionError


class Environment(WiredEnvironment):
    def __init__(
        self,
        name: str,
        config: KindplaneConfig,
        opts: Optional[pulumi.ResourceOptions] = None,
        file: str = DEFAULT_FILE,
    ):
        """`file`: the kindplane.yaml `config` came from (relative paths in it, such as
        extraMounts and trustedCAs, are read from its folder)."""
        from .program import docker_observer, endpoint_provider, environment_args

        try:
            config, args = environment_args(config, file=file, observe=docker_observer)
            provider = endpoint_provider(f"{name}-docker")
        except (ConfigError, AdoptionError, BadEnvironment, VersionTooOld, EndpointError) as exc:
            raise pulumi.RunError(str(exc)) from None  # the reason and its fix, without a traceback
        merged = pulumi.ResourceOptions.merge(pulumi.ResourceOptions(providers=[provider]), opts)
        super().__init__(name, config, opts=merged, **args)
