"""kindplane.yaml's models (pydantic): every key, its default and its rules.

Every rule that protects a shell command lives here, so that nothing downstream ever sees a
name it would have to escape creatively. Rendering still shlex-quotes everything (defence in
depth), but a hostile name never gets that far.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Annotated, Any, Literal, Optional, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    field_serializer,
    model_validator,
)

from ..contract import DEFAULT_REGISTRY_IMAGE, cluster_address, host_address
from ..image_ref import ImageRefError, parse_image_ref
from ..node_images import KUBERNETES_VERSION, normalize_version, resolve_node_image
from ..node_names import longest_node_name
from ..units import DURATION_PATTERN, SIZE_PATTERN, parse_duration, parse_size
from ..validators import ip_address

if TYPE_CHECKING:
    from ..kind_fragment import KindFragment

# A DNS-1123 label: what kind accepts as a cluster name and what Docker's embedded DNS and
# containerd's hosts.toml can use as a host name.
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# kind refuses cluster names over 50 characters ("<name>-control-plane" must fit a host name).
KIND_CLUSTER_NAME_MAX = 50
# Linux host names (and DNS labels) stop at 63 characters; kind uses the node name as both.
HOSTNAME_MAX = 63
_MAX_NODES = 50


def _dns_label(value: str) -> str:
    if not _DNS_LABEL.match(value):
        raise ValueError(
            f"must be lower-case letters, digits and '-', starting and ending with a letter or "
            f"digit (a DNS-1123 label), got {value!r}"
        )
    if len(value) > HOSTNAME_MAX:
        raise ValueError(f"must be at most {HOSTNAME_MAX} characters, got {len(value)}")
    return value


def _port(value: int) -> int:
    if not 1 <= value <= 65535:
        raise ValueError(f"must be between 1 and 65535, got {value}")
    return value


def _plain_path(value: str) -> str:
    if not value or any(ch in value for ch in "\0\n\r"):
        raise ValueError(f"must be a non-empty path on one line, got {value!r}")
    return value


def _absolute_path(value: str) -> str:
    _plain_path(value)
    if not value.startswith("/"):
        raise ValueError(f"must be an absolute path inside the node, got {value!r}")
    return value


def _image_ref(value: str) -> str:
    try:
        parse_image_ref(value)  # the one grammar, shared with `registry` and `doctor`
    except ImageRefError:
        raise ValueError(f"must be an image reference such as kindest/node:v1.31.0, got {value!r}") from None
    return value


def _version(value: str) -> str:
    return normalize_version(value)  # "1.31" must be a minor the pinned kind publishes


# json_schema_extra only documents the rules for editors; the validators above enforce them
# (with kindplane's own messages).
DnsLabel = Annotated[
    str,
    AfterValidator(_dns_label),
    Field(json_schema_extra={"pattern": _DNS_LABEL.pattern, "maxLength": HOSTNAME_MAX}),
]
Port = Annotated[int, AfterValidator(_port), Field(json_schema_extra={"minimum": 1, "maximum": 65535})]


class _Model(BaseModel):
    # strict: "5001" is not a port and "yes" (as a string) is not a bool; extra: a typo such
    # as `persistant` must fail loudly instead of silently meaning "not persistent".
    model_config = ConfigDict(strict=True, extra="forbid", populate_by_name=True, frozen=True)


# Set by the registry's owner; an `external: true` config only uses what is already running.
OWNER_ONLY_KEYS = ("port", "persistent", "listenAddress", "image", "tls", "auth")

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _env_name(value: str) -> str:
    if not _ENV_NAME.match(value):
        raise ValueError(
            f"must be the NAME of an environment variable (letters, digits, '_'), got {value!r}; never put "
            "the secret itself here"
        )
    return value


# An htpasswd user name: no ':' (the file's separator), nothing a shell or TOML would read twice.
_HTPASSWD_USER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _htpasswd_user(value: str) -> str:
    if not _HTPASSWD_USER.match(value):
        raise ValueError("must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return value


class RegistryAuthConfig(_Model):
    """htpasswd for the local registry: pushes and pulls need the user name and password."""

    username: Annotated[str, AfterValidator(_htpasswd_user)] = Field(
        ..., description="User name pushes and pulls use", json_schema_extra={"pattern": _HTPASSWD_USER.pattern}
    )
    password_env: Annotated[str, AfterValidator(_env_name)] = Field(
        ...,
        alias="passwordEnv",
        description="Environment variable holding the password (never written to kindplane.yaml)",
        json_schema_extra={"pattern": _ENV_NAME.pattern},
    )


class RegistryConfig(_Model):
    enabled: bool = Field(False, description="Enable local container registry")
    port: Port = Field(5001, description="Host port for the registry (bound to listenAddress)")
    persistent: bool = Field(False, description="Keep registry container after `kindplane down`")
    name: DnsLabel = Field("kind-registry", description="Registry container name")
    external: bool = Field(
        False,
        description="Use a running registry container of this name (another stack's, kind's script's, "
        "ctlptl's); this stack never creates or deletes it and reads its port from Docker",
    )
    listen_address: Annotated[str, AfterValidator(ip_address)] = Field(
        "127.0.0.1",
        alias="listenAddress",
        description="Host address the registry port is bound to; anything but loopback exposes it to the network",
    )
    image: Annotated[str, AfterValidator(_image_ref)] = Field(
        DEFAULT_REGISTRY_IMAGE, description="Registry image (a mirror of registry:2 for air-gapped setups)"
    )
    tls: bool = Field(
        False,
        description="Serve HTTPS: kindplane makes a CA and a certificate for localhost, 127.0.0.1 and the "
        "container name, kept in the registry's data volume, and every node trusts that CA",
    )
    auth: Optional[RegistryAuthConfig] = Field(
        None,
        description="htpasswd authentication: the registry asks every push and pull for this user name and "
        "the password in passwordEnv; kindplane gives the nodes the credentials",
    )

    @model_validator(mode="after")
    def _external_takes_the_owners_settings(self) -> "RegistryConfig":
        if not self.external:
            return self
        problems = [("enabled", "must be true when external is true")] if not self.enabled else []
        set_here = {(f.alias or n) for n, f in type(self).model_fields.items() if n in self.model_fields_set}
        problems += [
            (
                key,
                "is read from the running registry container when external is true; remove it"
                if key == "port"
                else (
                    "is the registry owner's setting; a stack with external: true never creates the registry; remove it"
                ),
            )
            for key in OWNER_ONLY_KEYS
            if key in set_here
        ]
        if problems:
            raise _KeyedProblems(problems)
        return self

    @property
    def loopback_only(self) -> bool:
        return ipaddress.ip_address(self.listen_address).is_loopback


class NodesConfig(_Model):
    control_plane: int = Field(
        1,
        alias="controlPlane",
        description="Control-plane nodes",
        json_schema_extra={"minimum": 1, "maximum": _MAX_NODES},
    )
    workers: int = Field(0, description="Worker nodes", json_schema_extra={"minimum": 0, "maximum": _MAX_NODES})

    @model_validator(mode="after")
    def _counts(self) -> "NodesConfig":
        problems = []
        if not 1 <= self.control_plane <= _MAX_NODES:
            problems.append(("controlPlane", f"must be between 1 and {_MAX_NODES}, got {self.control_plane}"))
        if not 0 <= self.workers <= _MAX_NODES:
            problems.append(("workers", f"must be between 0 and {_MAX_NODES}, got {self.workers}"))
        if problems:
            raise _KeyedProblems(problems)
        return self


class PortMapping(_Model):
    container_port: Port = Field(alias="containerPort")
    host_port: Port = Field(alias="hostPort")
    protocol: Literal["TCP", "UDP", "SCTP"] = "TCP"
    listen_address: Annotated[str, AfterValidator(ip_address)] = Field(
        "127.0.0.1", alias="listenAddress", description="Host address to bind (loopback by default)"
    )


class ExtraMount(_Model):
    host_path: Annotated[str, AfterValidator(_plain_path)] = Field(alias="hostPath")
    container_path: Annotated[str, AfterValidator(_absolute_path)] = Field(alias="containerPath")
    read_only: bool = Field(False, alias="readOnly")


# --- pull-through mirrors ---------------------------------------------------------------------------

# A registry host as containerd names its hosts.toml directory: `docker.io`, `ghcr.io`,
# `registry.example.com:5000`. Lower-case so the directory matches what image names resolve to.
_REGISTRY_HOST = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(:[0-9]{1,5})?$")
# Docker Hub's API lives at registry-1.docker.io, but images are named docker.io/...
_HOST_ALIASES = {"registry-1.docker.io": "docker.io", "index.docker.io": "docker.io"}
MIRROR_NAME_PREFIX = "kindplane-mirror-"


def _remote_url(value: str) -> str:
    from urllib.parse import urlsplit

    hint = "an http or https URL of a registry such as https://registry-1.docker.io"
    if any(ch.isspace() or ch in "\"'\\" for ch in value):
        raise ValueError(f"must be {hint}, got {value!r}")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be {hint}, got {value!r}")
    if parts.username or parts.password:
        raise ValueError(
            "must not contain credentials; name environment variables in usernameEnv and passwordEnv instead"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(
            f"must be only scheme, host and optional port (registry:2 proxies the whole registry), got {value!r}"
        )
    try:
        parts.port
    except ValueError:
        raise ValueError(f"has an invalid port, got {value!r}") from None
    if not _REGISTRY_HOST.match(parts.netloc.lower()):
        raise ValueError(f"must be {hint}, got {value!r}")
    return value.rstrip("/")


def _registry_host(value: str) -> str:
    if not _REGISTRY_HOST.match(value):
        raise ValueError(
            f"must be a registry host name such as docker.io or ghcr.io (lower-case, optional :port), got {value!r}"
        )
    return value


def _duration(value: "int | str") -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        if value != 0:
            raise ValueError(f"must be a duration with a unit such as 36h or 7d (or 0), got {value}")
        return "0"
    parse_duration(str(value))
    return str(value)


def _size(value: "int | str") -> "int | str":
    if isinstance(value, int) and not isinstance(value, bool):
        if value <= 0:
            raise ValueError(f"must be a positive number of bytes or a size such as 10GB, got {value}")
        return value
    if parse_size(str(value)) <= 0:
        raise ValueError(f"must be more than 0 bytes, got {value!r}")
    return value


def default_mirror_host(remote: str) -> str:
    """The registry name nodes pull by: the remote's host[:port], Docker Hub's API host → docker.io."""
    from urllib.parse import urlsplit

    netloc = urlsplit(remote).netloc.lower()
    return _HOST_ALIASES.get(netloc, netloc)


def default_mirror_name(host: str) -> str:
    """`kindplane-mirror-docker-io` for docker.io: a DNS label derived from the host."""
    label = re.sub(r"[^a-z0-9]+", "-", host.lower())
    return (MIRROR_NAME_PREFIX + label)[:HOSTNAME_MAX].strip("-")


class MirrorConfig(_Model):
    remote: Annotated[str, AfterValidator(_remote_url)] = Field(
        description="The upstream registry to cache (http or https URL)",
        json_schema_extra={"pattern": "^https?://"},
    )
    # host and name default to values derived from the fields before them; a factory that sees the
    # validated data keeps their type str for every reader (an invalid remote is reported by itself).
    host: Annotated[str, AfterValidator(_registry_host)] = Field(
        default_factory=lambda data: default_mirror_host(data.get("remote", "")),
        description="Registry name nodes pull by; default: the remote's host (registry-1.docker.io → docker.io)",
        json_schema_extra={"pattern": _REGISTRY_HOST.pattern},
    )
    name: DnsLabel = Field(
        default_factory=lambda data: default_mirror_name(data.get("host", "")),
        description="Mirror container name; default kindplane-mirror-<host>",
    )
    persistent: bool = Field(True, description="Keep the mirror and its cache on `kindplane down`")
    host_port: Optional[Port] = Field(
        None, alias="hostPort", description="Also publish the mirror on 127.0.0.1:<hostPort> (none by default)"
    )
    username_env: Optional[Annotated[str, AfterValidator(_env_name)]] = Field(
        None,
        alias="usernameEnv",
        description="Environment variable holding the upstream user name",
        json_schema_extra={"pattern": _ENV_NAME.pattern},
    )
    password_env: Optional[Annotated[str, AfterValidator(_env_name)]] = Field(
        None,
        alias="passwordEnv",
        description="Environment variable holding the upstream password or token",
        json_schema_extra={"pattern": _ENV_NAME.pattern},
    )
    image: Annotated[str, AfterValidator(_image_ref)] = Field(
        DEFAULT_REGISTRY_IMAGE,
        description="Registry image of the mirror; registry:3 (distribution v3) takes each blob from the "
        "upstream once and honours ttl",
    )
    ttl: Optional[Annotated[Union[int, str], AfterValidator(_duration)]] = Field(
        None,
        description="How long the proxy keeps what it fetched (36h, 7d; 0 = forever); distribution v3 only "
        "(2.8 always uses 7 days); default: the image's own (7 days)",
        json_schema_extra={"pattern": DURATION_PATTERN},
    )
    max_size: Optional[Annotated[Union[int, str], AfterValidator(_size)]] = Field(
        None,
        alias="maxSize",
        description="Cache size cap (10GB, 8GiB or bytes): `kindplane up` and `kindplane registry prune` "
        "remove the least recently used images beyond it",
        json_schema_extra={"pattern": SIZE_PATTERN},
    )

    @property
    def ttl_seconds(self) -> Optional[int]:
        return None if self.ttl is None else parse_duration(str(self.ttl))

    @property
    def max_size_bytes(self) -> Optional[int]:
        if self.max_size is None:
            return None
        return self.max_size if isinstance(self.max_size, int) else parse_size(self.max_size)

    @model_validator(mode="after")
    def _defaults(self) -> "MirrorConfig":
        if (self.username_env is None) != (self.password_env is None):
            missing = "passwordEnv" if self.password_env is None else "usernameEnv"
            raise _KeyedProblems(
                [(missing, "is required when the other credentials variable is set (registry:2 needs both)")]
            )
        if "host" not in self.model_fields_set and not _REGISTRY_HOST.match(self.host):
            raise _KeyedProblems([("host", f"cannot be derived from remote {self.remote!r}; set it")])
        return self

    @property
    def has_credentials(self) -> bool:
        return self.credentials_env is not None

    @property
    def credentials_env(self) -> Optional[tuple[str, str]]:
        """(usernameEnv, passwordEnv): the validator lets them be set together or not at all."""
        if self.username_env is None or self.password_env is None:
            return None
        return self.username_env, self.password_env


# --- TLS: CAs the nodes and mirrors trust, registries the nodes pull from -----------------------

PEM_MARKER = "-----BEGIN"


def _trusted_ca(value: str) -> str:
    if not value.strip():
        raise ValueError("must be a PEM file, a folder of them, or PEM text (-----BEGIN CERTIFICATE-----), got ''")
    if PEM_MARKER not in value:
        _plain_path(value)
    return value


def _file_path(value: str) -> str:
    return _plain_path(value)


class PullRegistryConfig(_Model):
    """One registry the nodes pull from directly: how containerd's TLS and auth meet it."""

    host: Annotated[str, AfterValidator(_registry_host)] = Field(
        description="The registry name images use (registry.example.com, registry.example.com:5000)",
        json_schema_extra={"pattern": _REGISTRY_HOST.pattern},
    )
    ca: Optional[Annotated[str, AfterValidator(_file_path)]] = Field(
        None, description="PEM file of the CA that signed the registry's certificate"
    )
    skip_verify: bool = Field(
        False, alias="skipVerify", description="Do not verify the registry's certificate (containerd skip_verify)"
    )
    client_cert: Optional[Annotated[str, AfterValidator(_file_path)]] = Field(
        None, alias="clientCert", description="PEM file of the client certificate the registry asks for"
    )
    client_key: Optional[Annotated[str, AfterValidator(_file_path)]] = Field(
        None, alias="clientKey", description="PEM file of the client certificate's private key"
    )
    username_env: Optional[Annotated[str, AfterValidator(_env_name)]] = Field(
        None,
        alias="usernameEnv",
        description="Environment variable holding the registry user name",
        json_schema_extra={"pattern": _ENV_NAME.pattern},
    )
    password_env: Optional[Annotated[str, AfterValidator(_env_name)]] = Field(
        None,
        alias="passwordEnv",
        description="Environment variable holding the registry password or token",
        json_schema_extra={"pattern": _ENV_NAME.pattern},
    )

    @model_validator(mode="after")
    def _pairs(self) -> "PullRegistryConfig":
        problems = []
        if (self.client_cert is None) != (self.client_key is None):
            missing = "clientKey" if self.client_key is None else "clientCert"
            problems.append((missing, "is required when the other half of the client certificate is set"))
        if (self.username_env is None) != (self.password_env is None):
            missing = "passwordEnv" if self.password_env is None else "usernameEnv"
            problems.append((missing, "is required when the other credentials variable is set"))
        if not problems and not (self.ca or self.skip_verify or self.client_cert or self.username_env):
            problems.append(
                (
                    "host",
                    "says nothing about the registry: set ca, skipVerify, clientCert/clientKey or "
                    "usernameEnv/passwordEnv",
                )
            )
        if problems:
            raise _KeyedProblems(problems)
        return self

    @property
    def credentials_env(self) -> Optional[tuple[str, str]]:
        if self.username_env is None or self.password_env is None:
            return None
        return self.username_env, self.password_env


def registries_problems(cluster: "ClusterConfig") -> list[tuple[str, str]]:
    """One entry per host, and none for a host a mirror or the local registry already serves."""
    problems: list[tuple[str, str]] = []
    served: dict[str, str] = {m.host: f"cluster.mirrors[{i}]" for i, m in enumerate(cluster.mirrors)}
    if cluster.registry.enabled:
        for address in (host_address(cluster.registry.port), cluster_address(cluster.registry.name)):
            served[address] = "the local registry (cluster.registry)"
    seen: dict[str, str] = {}
    for i, entry in enumerate(cluster.registries):
        key = f"registries[{i}].host"
        if entry.host in seen:
            problems.append((key, f"{entry.host!r} is already configured by {seen[entry.host]}; one entry per host"))
        elif entry.host in served:
            where = served[entry.host]
            fix = (
                "its upstream's CA goes in cluster.trustedCAs and its credentials in the mirror's "
                "usernameEnv/passwordEnv"
                if where.startswith("cluster.mirrors")
                else "set cluster.registry.tls for HTTPS"
            )
            problems.append((key, f"{entry.host!r} is served by {where}; {fix}"))
        seen.setdefault(entry.host, f"cluster.{key[: -len('.host')]}")
    return problems


def mirror_problems(cluster: "ClusterConfig") -> list[tuple[str, str]]:
    """Mirrors that would fight over a container name, a hosts.toml directory or a host port."""
    problems: list[tuple[str, str]] = []
    names: dict[str, str] = {}
    if cluster.registry.enabled:
        names[cluster.registry.name] = "cluster.registry.name"
    hosts: dict[str, str] = {}
    if cluster.registry.enabled:
        for address in (host_address(cluster.registry.port), cluster_address(cluster.registry.name)):
            hosts[address] = "the local registry"
    ports: dict[int, str] = {
        m.host_port: f"cluster.portMappings[{i}]" for i, m in enumerate(cluster.port_mappings) if m.protocol == "TCP"
    }
    if cluster.registry.enabled:
        ports[cluster.registry.port] = "cluster.registry.port"
    for i, mirror in enumerate(cluster.mirrors):
        key = f"mirrors[{i}]"  # relative to cluster; messages name the full path
        if mirror.name in names:
            problems.append(
                (
                    f"{key}.name",
                    f"{mirror.name!r} is already used by {names[mirror.name]}; give this mirror another name",
                )
            )
        names.setdefault(mirror.name, f"cluster.{key}.name")
        if mirror.host in hosts:
            problems.append(
                (f"{key}.host", f"{mirror.host!r} is already served by {hosts[mirror.host]}; one host has one mirror")
            )
        hosts.setdefault(mirror.host, f"cluster.{key}")
        if mirror.host_port is not None:
            if mirror.host_port in ports:
                problems.append(
                    (
                        f"{key}.hostPort",
                        f"{mirror.host_port} is already used by {ports[mirror.host_port]}; pick another port",
                    )
                )
            ports.setdefault(mirror.host_port, f"cluster.{key}.hostPort")
    return problems


def _kind_fragment(value: Any) -> "KindFragment":
    from ..kind_fragment import KindFragment

    return value if isinstance(value, KindFragment) else KindFragment.model_validate(value)


def _no_kind_fragment() -> "KindFragment":
    from ..kind_fragment import KindFragment

    return KindFragment.model_construct()


class ClusterConfig(_Model):
    name: DnsLabel = Field(description="Kind cluster name (a DNS-1123 label)")
    kubernetes_version: Optional[Annotated[str, AfterValidator(_version)]] = Field(
        None,
        alias="kubernetesVersion",
        description=(
            'Kubernetes version: a minor such as "1.31" uses the node image (with digest) that the '
            "pinned kind release publishes for it; a full version uses kindest/node:v<version>. "
            "Ignored when nodeImage is set"
        ),
        json_schema_extra={"pattern": KUBERNETES_VERSION.pattern},
    )
    node_image: Optional[Annotated[str, AfterValidator(_image_ref)]] = Field(
        None, alias="nodeImage", description="Kind node image; wins over kubernetesVersion"
    )
    nodes: NodesConfig = NodesConfig()
    registry: RegistryConfig = RegistryConfig()
    port_mappings: list[PortMapping] = Field(
        default_factory=list,
        alias="portMappings",
        description="Host ports forwarded to the first control-plane node",
    )
    extra_mounts: list[ExtraMount] = Field(
        default_factory=list, alias="extraMounts", description="Host paths mounted into every node"
    )
    ingress: bool = Field(
        False,
        description=(
            "Label the first control plane ingress-ready=true and forward host ports 80 and 443 to "
            "it (kind's ingress guide)"
        ),
    )
    # Any, validated into a KindFragment by _kind_fragment: its models load only for a config that
    # has `cluster.kind` (schema.py puts their JSON Schema here).
    kind: Annotated[Any, AfterValidator(_kind_fragment)] = Field(
        default_factory=_no_kind_fragment,
        description=(
            "kind v1alpha4 Cluster fields kindplane does not model, merged into the generated "
            "config; kindplane's own settings win"
        ),
    )
    mirrors: list[MirrorConfig] = Field(default_factory=list, description="Pull-through caches of remote registries")
    trusted_cas: list[Annotated[str, AfterValidator(_trusted_ca)]] = Field(
        default_factory=list,
        alias="trustedCAs",
        description="CA certificates every node's containerd and every mirror trust: PEM files, folders of "
        "them (*.crt, *.pem) or PEM text; a corporate proxy's CA, a private registry's",
    )
    registries: list[PullRegistryConfig] = Field(
        default_factory=list,
        description="Registries the nodes pull from directly, one entry per host: CA, skipVerify, client "
        "certificate, credentials",
    )

    @field_serializer("kind")
    def _dump_kind(self, kind: Any, info: SerializationInfo) -> Any:
        # Through the fragment's own model_dump: that builds its deferred serializer on first use.
        return kind.model_dump(by_alias=info.by_alias, mode=info.mode, exclude_none=info.exclude_none)

    @model_validator(mode="after")
    def _cross_field_rules(self) -> "ClusterConfig":
        problems = []
        longest = longest_node_name(self.name, self.nodes.control_plane, self.nodes.workers)
        if len(self.name) > KIND_CLUSTER_NAME_MAX:
            problems.append(
                ("name", f"must be at most {KIND_CLUSTER_NAME_MAX} characters (kind's limit), got {len(self.name)}")
            )
        elif len(longest) > HOSTNAME_MAX:
            problems.append(
                (
                    "name",
                    f"is too long for this many nodes: node name {longest!r} has {len(longest)} "
                    f"characters, the limit is {HOSTNAME_MAX}; shorten the name",
                )
            )
        seen: dict[tuple[int, str, str], int] = {}
        for i, mapping in enumerate(self.port_mappings):
            key = (mapping.host_port, mapping.protocol, mapping.listen_address)
            if key in seen:
                problems.append(
                    (
                        f"portMappings[{i}].hostPort",
                        f"{mapping.host_port}/{mapping.protocol} is already mapped by portMappings[{seen[key]}]",
                    )
                )
            seen.setdefault(key, i)
            owns_port = self.registry.enabled and not self.registry.external
            if owns_port and mapping.host_port == self.registry.port and mapping.protocol == "TCP":
                problems.append(
                    (
                        f"portMappings[{i}].hostPort",
                        f"{mapping.host_port} is the registry port (cluster.registry.port); pick another hostPort",
                    )
                )
            if self.ingress and mapping.host_port in INGRESS_PORTS and mapping.protocol == "TCP":
                problems.append(
                    (
                        f"portMappings[{i}].hostPort",
                        f"{mapping.host_port} is forwarded by cluster.ingress (80 and 443); pick another "
                        "hostPort or drop ingress",
                    )
                )
        if self.ingress and self.registry.enabled and self.registry.port in INGRESS_PORTS:
            problems.append(
                (
                    "registry.port",
                    f"{self.registry.port} is forwarded by cluster.ingress (80 and 443); pick another registry port",
                )
            )
        problems += mirror_problems(self)
        problems += registries_problems(self)
        if problems:
            raise _KeyedProblems(problems)
        return self

    @property
    def node_image_resolved(self) -> Optional[str]:
        """nodeImage wins; else kubernetesVersion's image (node_images); else None (kind's default)."""
        if self.node_image:
            return self.node_image
        if self.kubernetes_version:
            return resolve_node_image(self.kubernetes_version).image
        return None


# cluster.ingress forwards these host ports to the first control plane (TCP).
INGRESS_PORTS = (80, 443)


class KindplaneConfig(_Model):
    cluster: ClusterConfig


class _KeyedProblems(ValueError):
    """Raised by model validators to report problems at sub-keys of the model being checked."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{k}: {m}" for k, m in problems))
