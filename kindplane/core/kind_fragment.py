"""`cluster.kind`: a fragment of kind's own `Cluster` config (kind.x-k8s.io/v1alpha4) for the
settings kindplane does not model, merged into the config kindplane renders.

Field names and allowed values follow kind's types.go and validate.go at the pinned release
(sigs.k8s.io/kind v0.29.0, pkg/apis/config/v1alpha4), so a typo fails here, with its key path,
instead of in `kind create cluster` after Pulumi has started. How the fragment merges (and which
of kindplane's keys win) is render/kind_merge.py's business.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from typing import Annotated, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from .image_ref import ImageRefError, parse_image_ref
from .validators import ip_address

# Kubernetes label syntax: an optional DNS-subdomain prefix and "/", then a name of at most 63.
_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


class _KindModel(BaseModel):
    # Same strictness as the rest of kindplane.yaml: kind decodes strictly too. defer_build: the
    # validators are built only for a config that has `cluster.kind` (they cost ~60 ms at start).
    model_config = ConfigDict(strict=True, extra="forbid", populate_by_name=True, frozen=True, defer_build=True)


def _label_key(key: str) -> None:
    prefix, _, name = key.rpartition("/")
    if (
        (prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)))
        or len(name) > 63
        or not _LABEL_NAME.match(name)
    ):
        raise ValueError(
            f"label key {key!r} is not a Kubernetes label key (optional DNS prefix and '/', then at "
            f"most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)"
        )


def _labels(labels: dict[str, str]) -> dict[str, str]:
    for key, value in labels.items():
        _label_key(key)
        if value and (len(value) > 63 or not _LABEL_NAME.match(value)):
            raise ValueError(
                f"label {key}={value!r}: a value is at most 63 letters, digits, '-', '_' or '.', "
                f'starting and ending with a letter or digit (quote it in YAML: "true")'
            )
    return labels


def _toml(patch: str) -> str:
    try:
        tomllib.loads(patch)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"is not valid TOML ({exc}); kind would fail to patch containerd's config") from None
    return patch


def _yaml_patch(patch: str) -> str:
    import yaml

    try:
        docs = [doc for doc in yaml.safe_load_all(patch) if doc is not None]
    except yaml.YAMLError as exc:
        raise ValueError(
            f"is not valid YAML ({getattr(exc, 'problem', None) or exc}); kind would fail to patch kubeadm's config"
        ) from None
    if not docs or not all(isinstance(doc, dict) for doc in docs):
        raise ValueError("must be a YAML mapping such as `kind: ClusterConfiguration` plus the fields to patch")
    return patch


def _cidr(value: str) -> str:
    # kind accepts a comma-separated pair for dual-stack ("10.244.0.0/16,fd00:10:244::/56").
    for part in value.split(","):
        try:
            ipaddress.ip_network(part.strip(), strict=False)
        except ValueError:
            raise ValueError(f"must be a CIDR such as 10.244.0.0/16, got {value!r}") from None
    return value


def _absolute(value: str) -> str:
    if not value.startswith("/") or any(ch in value for ch in "\0\n\r"):
        raise ValueError(
            f"must be an absolute path on one line, got {value!r} (cluster.extraMounts resolves "
            f"paths relative to kindplane.yaml)"
        )
    return value


def _image(value: str) -> str:
    try:
        parse_image_ref(value)
    except ImageRefError:
        raise ValueError(f"must be an image reference such as kindest/node:v1.31.9, got {value!r}") from None
    return value


def _port(value: int) -> int:
    if not 0 <= value <= 65535:
        raise ValueError(f"must be between 0 and 65535, got {value}")
    return value


Labels = Annotated[dict[str, str], AfterValidator(_labels)]
TomlPatch = Annotated[str, AfterValidator(_toml)]
KubeadmPatch = Annotated[str, AfterValidator(_yaml_patch)]
PortNumber = Annotated[int, AfterValidator(_port)]
AbsolutePath = Annotated[str, AfterValidator(_absolute)]


class KindPatchJSON6902(_KindModel):
    group: str
    version: str
    kind: str
    patch: str


class KindMount(_KindModel):
    container_path: AbsolutePath = Field(alias="containerPath")
    host_path: AbsolutePath = Field(alias="hostPath")
    read_only: bool = Field(False, alias="readOnly")
    selinux_relabel: bool = Field(False, alias="selinuxRelabel")
    propagation: Optional[Literal["None", "HostToContainer", "Bidirectional"]] = None


class KindPortMapping(_KindModel):
    container_port: PortNumber = Field(alias="containerPort")
    host_port: PortNumber = Field(alias="hostPort")
    listen_address: Optional[Annotated[str, AfterValidator(ip_address)]] = Field(None, alias="listenAddress")
    protocol: Literal["TCP", "UDP", "SCTP"] = "TCP"


class KindNode(_KindModel):
    """Merged into the node kindplane generates at the same position (see render/kind_merge)."""

    role: Optional[Literal["control-plane", "worker"]] = None
    image: Optional[Annotated[str, AfterValidator(_image)]] = None
    labels: Labels = Field(default_factory=dict)
    extra_mounts: list[KindMount] = Field(default_factory=list, alias="extraMounts")
    extra_port_mappings: list[KindPortMapping] = Field(default_factory=list, alias="extraPortMappings")
    kubeadm_config_patches: list[KubeadmPatch] = Field(default_factory=list, alias="kubeadmConfigPatches")
    kubeadm_config_patches_json6902: list[KindPatchJSON6902] = Field(
        default_factory=list, alias="kubeadmConfigPatchesJSON6902"
    )


class KindNetworking(_KindModel):
    ip_family: Optional[Literal["ipv4", "ipv6", "dual"]] = Field(None, alias="ipFamily")
    api_server_port: Optional[PortNumber] = Field(None, alias="apiServerPort")
    api_server_address: Optional[Annotated[str, AfterValidator(ip_address)]] = Field(None, alias="apiServerAddress")
    pod_subnet: Optional[Annotated[str, AfterValidator(_cidr)]] = Field(None, alias="podSubnet")
    service_subnet: Optional[Annotated[str, AfterValidator(_cidr)]] = Field(None, alias="serviceSubnet")
    disable_default_cni: Optional[bool] = Field(None, alias="disableDefaultCNI")
    kube_proxy_mode: Optional[Literal["iptables", "ipvs", "nftables", "none"]] = Field(None, alias="kubeProxyMode")
    dns_search: Optional[list[str]] = Field(None, alias="dnsSearch")


class KindFragment(_KindModel):
    """kind's Cluster fields; `kind`/`apiVersion` may be written but only with kind's values."""

    kind: Optional[Literal["Cluster"]] = None
    api_version: Optional[Literal["kind.x-k8s.io/v1alpha4"]] = Field(None, alias="apiVersion")
    name: Optional[str] = None
    nodes: list[KindNode] = Field(
        default_factory=list,
        description="Entry i merges into the i-th node kindplane makes (control planes first, then workers)",
    )
    networking: Optional[KindNetworking] = None
    feature_gates: dict[str, bool] = Field(default_factory=dict, alias="featureGates")
    runtime_config: dict[str, str] = Field(default_factory=dict, alias="runtimeConfig")
    kubeadm_config_patches: list[KubeadmPatch] = Field(default_factory=list, alias="kubeadmConfigPatches")
    kubeadm_config_patches_json6902: list[KindPatchJSON6902] = Field(
        default_factory=list, alias="kubeadmConfigPatchesJSON6902"
    )
    containerd_config_patches: list[TomlPatch] = Field(default_factory=list, alias="containerdConfigPatches")
    containerd_config_patches_json6902: list[str] = Field(default_factory=list, alias="containerdConfigPatchesJSON6902")

    def is_empty(self) -> bool:
        return self == KindFragment.model_construct()
