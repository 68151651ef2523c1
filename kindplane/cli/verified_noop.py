"""A `kindplane up` with nothing to do, proven without the engine — the way `make` skips what is
up to date.

The engine's no-op (`pulumi up --refresh`) asks each provider to read every resource back and
finds nothing to change; kindplane can read the same facts itself, in one batch, in a fraction of
the time: the state was made by this kindplane from this kindplane.yaml (program identity and
settings fingerprint), Docker shows every container, volume and node the state records (the
caller's world_as_recorded), and the wiring read-back (kindplane.ops.wiring_readback, the same one
the program repairs from) finds every hosts.toml, network join and the ConfigMap as the config
wires them. Whatever it cannot read back sends `up` to the engine as before: credentials from the
environment (a changed password changes inputs no file shows), TLS files and the HTTPS registry's
certificate, an external registry's live port. `kindplane up --refresh` always runs the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from .engine import Engine

if TYPE_CHECKING:
    from docker import DockerClient

    from ..core.config import ClusterConfig


def unverifiable(cluster: ClusterConfig) -> Optional[str]:
    """What in the config the read-back cannot check, or None."""
    registry = cluster.registry
    if cluster.trusted_cas or cluster.registries:
        return "trustedCAs and registries' files and credentials"
    if registry.enabled and (registry.tls or registry.auth or registry.external):
        return "the registry's certificate, password or live port"
    if any(m.has_credentials for m in cluster.mirrors):
        return "mirror credentials"
    return None


def nothing_to_do(engine: Engine, cluster: ClusterConfig, client: DockerClient) -> Optional[dict[str, Any]]:
    """The stack's outputs when the read-back proves `up` has nothing to do; None: run the engine.
    Called only once the settings fingerprint matches and Docker shows what the state records."""
    from ..core.contract import OUTPUT_PROGRAM
    from ..core.naming import BadEnvironment, kind_network
    from ..core.program_identity import program_identity
    from ..core.render.drift import find_drift
    from ..ops.docker_errors import docker_failures
    from ..ops.wiring_readback import read_back, recorded_wiring

    if unverifiable(cluster) or engine.recorded_outputs().get(OUTPUT_PROGRAM) != program_identity():
        return None
    outputs = engine.outputs()  # the kubeconfig in plain text (the checkpoint holds it encrypted)
    recorded = recorded_wiring(engine.recorded_resources(), outputs.get("kubeconfig"))
    if not recorded.nodes:
        return None
    try:
        network = kind_network()
        observed = read_back(client, cluster, recorded)
    except BadEnvironment:
        return None  # the program refuses it with the reason
    except docker_failures():
        return None
    return None if find_drift(cluster, observed, network) else outputs
