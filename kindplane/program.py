"""The Pulumi program: one function shared by `__main__.py` (pulumi up) and the CLI."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional

import pulumi

from .core.components import Environment
from .core.components.environment import spec_needs_tls
from .core.config import DEFAULT_FILE, KindplaneConfig, RegistryConfig, load_config
from .core.config.tls_files import NO_TLS_FILES, TlsFiles, read_tls_files
from .core.contract import (
    CONFIG_KEY,
    CONFIG_NAMESPACE,
    CONTAINER_TYPE,
    OUTPUT_APPLIED_SETTINGS,
    OUTPUT_CONFIG_FILE,
    OUTPUT_FINGERPRINT,
    OUTPUT_PROGRAM,
    STACK_TYPE,
)
from .core.credentials import local_registry_credentials, mirror_credentials, registry_credentials
from .core.errors import ConfigError
from .core.naming import BadEnvironment, kind_network, stack_owner
from .core.program_identity import program_identity
from .core.render.applied_settings import applied_settings, settings_fingerprint
from .core.render.drift import NO_REGISTRY_FILES, NO_REPAIRS, RegistryFiles, Repairs, find_drift, recorded_repairs
from .core.render.registry_auth import RegistryAuth
from .core.render.tls import RegistryTls
from .core.versions import VersionTooOld, check_provider_versions
from .ops.docker_endpoint import EndpointError, current_endpoint, provider_context_problem
from .ops.docker_errors import docker_failures, explain
from .ops.docker_lookup import AdoptionError, DockerUnavailable
from .ops.kept_container import InState
from .ops.registry.external import SharedRegistryFound, find_shared_registry, with_live_port
from .ops.renames import Recorded
from .ops.wiring_readback import RecordedWiring, recorded_wiring

if TYPE_CHECKING:
    from docker import DockerClient

KeptLookup = Callable[[KindplaneConfig, str], Optional[Mapping[str, pulumi.ResourceHookBinding]]]
SharedLookup = Callable[[RegistryConfig, str], SharedRegistryFound]
DockerProvider = Callable[[], Optional[pulumi.ProviderResource]]
# (config, kind network, the config's TLS files, the registry's CA and header) → the repairs to make
Observer = Callable[[KindplaneConfig, str, TlsFiles, RegistryFiles], Repairs]
TlsLookup = Callable[[RegistryConfig, str], RegistryTls]  # registry.tls → its CA and certificate
# registry.auth: (registry, owner, (user, password)) → the htpasswd line kept in its volume
AuthLookup = Callable[[RegistryConfig, str, tuple[str, str]], RegistryAuth]


def no_observer(
    config: KindplaneConfig,
    network: str,
    tls_files: TlsFiles = NO_TLS_FILES,
    registry_files: RegistryFiles = NO_REGISTRY_FILES,
) -> Repairs:
    """Reads nothing back: what a program run under test mocks, or without a state, uses."""
    return NO_REPAIRS


def this_stack() -> str:
    """The owner label value: only this stack's own containers are ever taken over."""
    return stack_owner(pulumi.get_project(), pulumi.get_stack())


class LastState:
    """This stack's state as the last update left it ({urn: {"type", "outputs"}}), read once per
    run through the engine's own reader (the one behind stack references) and only when asked."""

    def __init__(self) -> None:
        self._read = False
        self._resources: Optional[dict[str, dict]] = None

    @property
    def resources(self) -> Optional[dict[str, dict]]:
        """None: the engine or backend could not answer."""
        if not self._read:
            self._read, self._resources = True, _read_last_state()
        return self._resources

    def holds_container(self, name: str) -> InState:
        """Whether a container of this name is in the state (asked only when Docker lacks it: a
        `pulumi up` without refresh would not notice it is gone)."""
        if self.resources is None:
            return InState.UNKNOWN
        names = {
            (r.get("outputs") or {}).get("name") for r in self.resources.values() if r.get("type") == CONTAINER_TYPE
        }
        return InState.YES if name in names else InState.NO

    def kept(self) -> Recorded:
        """The registry and mirror containers the state holds, and which it records as persistent."""
        resources = (self.resources or {}).values()
        names = {(r.get("outputs") or {}).get("name") for r in resources if r.get("type") == CONTAINER_TYPE}
        stack = next((r.get("outputs") or {} for r in resources if r.get("type") == STACK_TYPE), {})
        applied = stack.get(OUTPUT_APPLIED_SETTINGS)
        settings: dict = applied if isinstance(applied, dict) else {}
        entries = [settings.get("registry") or {}, *(settings.get("mirrors") or [])]
        retained = {e.get("name") for e in entries if isinstance(e, dict) and e.get("persistent")}
        return Recorded(frozenset(str(n) for n in names if n), frozenset(str(n) for n in retained if n))

    def wiring(self) -> RecordedWiring:
        """The cluster's nodes and kubeconfig as recorded, and whether the ConfigMap is in the state."""
        return recorded_wiring((self.resources or {}).values())


_LAST_STATES: dict[str, LastState] = {}


def last_state() -> LastState:
    """This run's one LastState: the keeper's look-up and the read-back share one read."""
    return _LAST_STATES.setdefault(this_stack(), LastState())


def _read_last_state() -> Optional[dict[str, dict]]:
    stack = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
    try:
        found = pulumi.runtime.invoke("pulumi:pulumi:readStackResourceOutputs", {"stackName": stack})
    except Exception:  # an engine or backend that cannot answer: what reads it does without
        return None
    outputs = (found.value or {}).get("outputs")
    return dict(outputs) if isinstance(outputs, dict) else {}


def docker_kept_lookup(config: KindplaneConfig, owner: str) -> dict[str, pulumi.ResourceHookBinding]:
    """The registry's and each mirror's decision (kindplane.ops.keeper): refuses with the fix,
    starts or moves data outside preview, and returns the hooks that take a kept container back
    (before its successor's create) and wait until a created one answers (after it)."""
    from .ops.docker_lookup import docker_client
    from .ops.keeper import carry_out, decide_all, remove_before_create, wait_until_serving, wanted_containers
    from .ops.renames import find_previous, take_over, what_happens

    wanted = wanted_containers(config.cluster, owner)
    if not wanted:
        return {}
    try:
        client = docker_client()
    except DockerUnavailable as exc:
        if not pulumi.runtime.is_dry_run():
            # Without the look-up a kept container would meet its successor's name (Docker 409).
            raise AdoptionError(f"{exc}; start Docker (or set DOCKER_HOST) and run up again") from None
        pulumi.log.warn(
            f"{exc}; cannot look for kept containers, so this preview may show changes that up will not make"
        )
        return {}
    hooks = {}
    state = last_state()
    try:
        decisions = decide_all(client, wanted, state.holds_container)
        renamed = {each.name: find_previous(client, each, state.kept()) for each in wanted}
    except docker_failures() as exc:
        raise AdoptionError(explain(exc, "cannot look at the registry and mirror containers")) from None
    for each, decision in zip(wanted, decisions):
        if not pulumi.runtime.is_dry_run():
            carry_out(client, each, decision)
        before: list[Any] = []
        if decision.container_id is not None:
            remove = remove_before_create(each, decision.container_id)
            before = [pulumi.ResourceHook(f"kindplane-take-back-{each.name}", remove)]
        elif renamed[each.name]:  # the same registry or mirror under its old name: its data moves
            note(what_happens(each, renamed[each.name]))
            before = [pulumi.ResourceHook(f"kindplane-rename-{each.name}", take_over(each, renamed[each.name]))]
        serving = pulumi.ResourceHook(f"kindplane-serving-{each.name}", wait_until_serving(each))
        hooks[each.name] = pulumi.ResourceHookBinding(before_create=before, after_create=[serving])
    return hooks


def docker_observer(
    config: KindplaneConfig,
    network: str,
    tls_files: TlsFiles = NO_TLS_FILES,
    registry_files: RegistryFiles = NO_REGISTRY_FILES,
) -> Repairs:
    """What an earlier up wired, read back (kindplane.ops.wiring_readback) and compared with the
    config (core.render.drift): each drifted piece is written again by this run, through Pulumi."""
    state = last_state()
    if not state.resources:
        return NO_REPAIRS  # nothing made yet (or an engine that cannot say): nothing to read back
    recorded, counts = state.wiring(), recorded_repairs(state.resources)
    if not recorded.nodes:
        return Repairs(counts)
    from .ops.docker_lookup import docker_client
    from .ops.wiring_readback import read_back

    try:
        observed = read_back(docker_client(), config.cluster, recorded)
    except DockerUnavailable:
        return Repairs(counts)  # the keeper's look-up says what to do about Docker
    except docker_failures():
        return Repairs(counts)
    drift = find_drift(config.cluster, observed, network, tls_files, registry_files)
    for line in drift.lines():
        note(line)
    return Repairs(counts, drift)


def note(line: str) -> None:
    """A line for the user, in `pulumi up`'s diagnostics and in kindplane's own output."""
    pulumi.log.info(f"kindplane: {line}")


def docker_tls_lookup(registry: RegistryConfig, owner: str) -> RegistryTls:
    """registry.tls: the CA and certificate kept in the registry's volume, made once (outside
    preview written there: kindplane.ops.registry.tls_material)."""
    from .ops.registry.tls_material import registry_tls

    return registry_tls(_volume_client(), registry, owner, pulumi.runtime.is_dry_run())


def docker_auth_lookup(registry: RegistryConfig, owner: str, credentials: tuple[str, str]) -> RegistryAuth:
    """registry.auth: the htpasswd line kept in the registry's volume while it accepts the password,
    else a new one (outside preview written there: kindplane.ops.registry.auth_material)."""
    from .ops.registry.auth_material import registry_auth

    return registry_auth(_volume_client(), registry, owner, credentials, pulumi.runtime.is_dry_run())


def _volume_client() -> "DockerClient":
    """The Docker client the registry's volume files are read and written with: without Docker
    neither the CA nor the htpasswd file can be known, and nothing sensible can be planned."""
    from .ops.docker_lookup import docker_client

    try:
        return docker_client()
    except DockerUnavailable as exc:
        raise AdoptionError(f"{exc}; start Docker (or set DOCKER_HOST) and run up again") from None


def docker_shared_lookup(registry: RegistryConfig, owner: str) -> SharedRegistryFound:
    try:
        return find_shared_registry(registry, owner)
    except DockerUnavailable as exc:
        # Without Docker the registry's port is unknown: nothing sensible can be planned.
        raise AdoptionError(f"{exc}; start Docker (or set DOCKER_HOST) and run up again") from None


def endpoint_provider(name: str = "docker") -> pulumi.ProviderResource:
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
    return pulumi_docker.Provider(name, **endpoint.provider_args())


def environment_args(
    config: KindplaneConfig,
    lookup: KeptLookup = docker_kept_lookup,
    shared_lookup: SharedLookup = docker_shared_lookup,
    environ: Optional[Mapping[str, str]] = None,
    file: str = DEFAULT_FILE,
    observe: Observer = no_observer,
    tls_lookup: TlsLookup = docker_tls_lookup,
    auth_lookup: AuthLookup = docker_auth_lookup,
) -> tuple[KindplaneConfig, dict[str, Any]]:
    """The look-ups every door makes before the graph (the config to build, at an external
    registry's live port, and the core Environment's keyword arguments): each may stop the run
    with the fix before anything is registered."""
    owner = this_stack()
    network = kind_network()  # checked before anything is registered
    # Read before any resource exists: a missing variable stops the run with nothing created.
    variables = os.environ if environ is None else environ
    credentials = {
        name: (pulumi.Output.secret(user), pulumi.Output.secret(password))
        for name, (user, password) in mirror_credentials(config.cluster, variables, file).items()
    }
    pulling = {
        host: (pulumi.Output.secret(user), pulumi.Output.secret(password))
        for host, (user, password) in registry_credentials(config.cluster, variables, file).items()
    }
    local_auth = local_registry_credentials(config.cluster, variables, file)
    # Read at every run: an edited certificate is a changed input (preview shows it); a broken one
    # stops here, at its key, with nothing created.
    tls_files = read_tls_files(config.cluster, file)
    registry = config.cluster.registry
    shared = None
    if registry.enabled and registry.external:
        shared = shared_lookup(registry, owner)  # before any resource: a missing registry creates nothing
        config = with_live_port(config, shared)
    kept_hooks = lookup(config, owner) or {}
    # After the keeper's decision: a registry name or volume it refuses is never written into.
    registry_tls = tls_lookup(registry, owner) if spec_needs_tls(config) else None
    registry_auth = auth_lookup(registry, owner, local_auth) if local_auth and not registry.external else None
    registry_files = RegistryFiles(
        registry_tls.ca_pem if registry_tls else None, registry_auth.authorization if registry_auth else None
    )
    return config, {
        "owner": owner,
        "kept_hooks": kept_hooks,
        "network": network,
        "shared_registry_id": shared.container_id if shared else None,
        "mirror_credentials": credentials,
        "repairs": observe(config, network, tls_files, registry_files),
        "tls_files": tls_files,
        "registry_credentials": pulling,
        "registry_tls": registry_tls,
        "registry_auth": registry_auth,
    }


def build(
    config: KindplaneConfig,
    lookup: KeptLookup = docker_kept_lookup,
    shared_lookup: SharedLookup = docker_shared_lookup,
    environ: Optional[Mapping[str, str]] = None,
    file: str = DEFAULT_FILE,
    docker_provider: Optional[DockerProvider] = None,
    observe: Observer = no_observer,
    tls_lookup: TlsLookup = docker_tls_lookup,
    auth_lookup: AuthLookup = docker_auth_lookup,
) -> Environment:
    """Builds the graph for `config` and exports the stack outputs. `observe`: the read-back of
    what an earlier up wired (docker_observer in `main`)."""
    config, args = environment_args(config, lookup, shared_lookup, environ, file, observe, tls_lookup, auth_lookup)
    # Registered after the look-ups: a run they stop leaves the state as it was.
    provider = docker_provider() if docker_provider else None
    opts = pulumi.ResourceOptions(providers=[provider]) if provider else None
    env = Environment("kindplane", config, opts=opts, **args)
    for key, value in env.outputs().items():
        pulumi.export(key, value)
    return env


def config_file_from_stack() -> str:
    return pulumi.Config(CONFIG_NAMESPACE).get(CONFIG_KEY) or DEFAULT_FILE


def main(
    lookup: KeptLookup = docker_kept_lookup,
    shared_lookup: SharedLookup = docker_shared_lookup,
    docker_provider: DockerProvider = endpoint_provider,
    observe: Observer = docker_observer,
) -> Optional[Environment]:
    """Entry point of `__main__.py`: bad config or a foreign container stop before anything."""
    try:
        check_provider_versions()
        path = Path(config_file_from_stack())
        config = load_config(path)
        env = build(config, lookup, shared_lookup, file=str(path), docker_provider=docker_provider, observe=observe)
        # The stack's identity check: the CLI refuses to point another file at this state.
        pulumi.export(OUTPUT_CONFIG_FILE, str(path.resolve()))
        # What this run applies: the next `kindplane up` reads the plan only when it changed.
        pulumi.export(OUTPUT_APPLIED_SETTINGS, applied_settings(config.cluster))
        pulumi.export(OUTPUT_FINGERPRINT, settings_fingerprint(config.cluster, this_stack(), kind_network()))
        # Which code made it: a verified no-op `kindplane up` needs the same (cli/verified_noop.py).
        pulumi.export(OUTPUT_PROGRAM, program_identity())
        return env
    except (ConfigError, AdoptionError, BadEnvironment, VersionTooOld, EndpointError) as exc:
        # RunError prints the message without a Python traceback.
        raise pulumi.RunError(str(exc)) from None
