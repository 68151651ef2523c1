"""The Pulumi program: one function shared by `__main__.py` (pulumi up) and the CLI."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Mapping, Optional

import pulumi

from .core.components import Environment
from .core.config import DEFAULT_FILE, KindplaneConfig, RegistryConfig, load_config
from .ops.docker_endpoint import EndpointError, current_endpoint, provider_context_problem
from .ops.docker_lookup import AdoptionError, DockerUnavailable, adoption_id
from .ops.shared_registry import SharedRegistryFound, find_shared_registry, with_registry_port
from .core.credentials import mirror_credentials
from .core.errors import ConfigError
from .core.naming import BadEnvironment, kind_network, stack_owner
from .core.versions import VersionTooOld, check_provider_versions

CONFIG_NAMESPACE = "kindplane"
CONFIG_FILE_KEY = "configFile"  # `kindplane:configFile`, relative to the project directory

AdoptionLookup = Callable[[KindplaneConfig, str], Optional[str]]
SharedLookup = Callable[[RegistryConfig, str], SharedRegistryFound]
MirrorLookup = Callable[[KindplaneConfig, str], dict[str, str]]  # mirror name → container ID
DockerProvider = Callable[[], Optional[pulumi.ProviderResource]]


def this_stack() -> str:
    """The owner label value: adoption only ever takes this stack's own registry."""
    return stack_owner(pulumi.get_project(), pulumi.get_stack())


def docker_adoption_lookup(config: KindplaneConfig, owner: str) -> Optional[str]:
    registry = config.cluster.registry
    if not registry.enabled:
        return None
    try:
        return adoption_id(registry, owner)
    except DockerUnavailable as exc:
        if not pulumi.runtime.is_dry_run():
            # Without the look-up the plan would replace a kept container (409) or miss one.
            raise AdoptionError(f"{exc}; start Docker (or set DOCKER_HOST) and run up again") from None
        pulumi.log.warn(f"{exc}; cannot look for a kept registry to adopt, so this preview may show changes that up will not make")
        return None


def docker_shared_lookup(registry: RegistryConfig, owner: str) -> SharedRegistryFound:
    try:
        return find_shared_registry(registry, owner)
    except DockerUnavailable as exc:
        # Without Docker the registry's port is unknown: nothing sensible can be planned.
        raise AdoptionError(f"{exc}; start Docker (or set DOCKER_HOST) and run up again") from None


def docker_mirror_lookup(config: KindplaneConfig, owner: str) -> dict[str, str]:
    """Kept mirror containers to adopt (same Docker rules as the registry's look-up)."""
    from .ops.mirror_lookup import mirror_adoption_id

    found: dict[str, str] = {}
    for i, mirror in enumerate(config.cluster.mirrors):
        try:
            container_id = mirror_adoption_id(mirror, owner, f"cluster.mirrors[{i}].name")
        except DockerUnavailable as exc:
            if not pulumi.runtime.is_dry_run():
                raise AdoptionError(f"{exc}; start Docker (or set DOCKER_HOST) and run up again") from None
            pulumi.log.warn(f"{exc}; cannot look for kept mirrors to adopt, so this preview may show changes that up will not make")
            return found
        if container_id is not None:
            found[mirror.name] = container_id
    return found


def endpoint_provider() -> pulumi.ProviderResource:
    """The pulumi-docker provider of the daemon the look-ups, the docker CLI and kind use.

    Explicit, so that `pulumi up` after `docker context use` reaches the context's daemon too (the
    default provider reads DOCKER_HOST or DOCKER_CONTEXT only). Moving a stack from the default
    provider to this one, or to another host, replaces nothing: the engine asks the provider's
    DiffConfig, and no docker provider setting forces a replacement.
    """
    import pulumi_docker

    endpoint = current_endpoint()
    problem = provider_context_problem(endpoint, os.environ)
    if problem:
        raise EndpointError(problem)
    return pulumi_docker.Provider("docker", **endpoint.provider_args())


def build(
    config: KindplaneConfig,
    lookup: AdoptionLookup = docker_adoption_lookup,
    shared_lookup: SharedLookup = docker_shared_lookup,
    mirror_lookup: MirrorLookup = docker_mirror_lookup,
    environ: Optional[Mapping[str, str]] = None,
    file: str = DEFAULT_FILE,
    docker_provider: Optional[DockerProvider] = None,
) -> Environment:
    """Builds the graph for `config` and exports the stack outputs."""

    def provider_opts() -> Optional[pulumi.ResourceOptions]:
        # Registered after the look-ups: a run they stop leaves the state as it was.
        provider = docker_provider() if docker_provider else None
        return pulumi.ResourceOptions(providers=[provider]) if provider else None

    owner = this_stack()
    network = kind_network()  # checked before anything is registered
    # Read before any resource exists: a missing variable stops the run with nothing created.
    credentials = {
        name: (pulumi.Output.secret(user), pulumi.Output.secret(password))
        for name, (user, password) in mirror_credentials(config.cluster, os.environ if environ is None else environ, file).items()
    }
    mirrors = {"adopt_mirror_ids": mirror_lookup(config, owner), "mirror_credentials": credentials}
    registry = config.cluster.registry
    if registry.enabled and registry.external:
        shared = shared_lookup(registry, owner)  # before any resource: a missing registry creates nothing
        config = with_registry_port(config, shared.port)
        env = Environment("kindplane", config, owner, network=network, shared_registry_id=shared.container_id,
                          opts=provider_opts(), **mirrors)
    else:
        adopt = lookup(config, owner)
        env = Environment("kindplane", config, owner, adopt_registry_id=adopt, network=network, opts=provider_opts(), **mirrors)
    for key, value in env.outputs().items():
        pulumi.export(key, value)
    return env


def config_file_from_stack() -> str:
    return pulumi.Config(CONFIG_NAMESPACE).get(CONFIG_FILE_KEY) or DEFAULT_FILE


def main(
    lookup: AdoptionLookup = docker_adoption_lookup, shared_lookup: SharedLookup = docker_shared_lookup,
    docker_provider: DockerProvider = endpoint_provider,
) -> Optional[Environment]:
    """Entry point of `__main__.py`: bad config or a foreign container stop before anything."""
    try:
        check_provider_versions()
        path = Path(config_file_from_stack())
        config = load_config(path)
        env = build(config, lookup, shared_lookup, file=str(path), docker_provider=docker_provider)
        # The stack's identity check: the CLI refuses to point another file at this state.
        pulumi.export("configFile", str(path.resolve()))
        return env
    except (ConfigError, AdoptionError, BadEnvironment, VersionTooOld, EndpointError) as exc:
        # RunError prints the message without a Python traceback.
        raise pulumi.RunError(str(exc)) from None
