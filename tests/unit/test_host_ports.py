"""Every host port a kindplane.yaml publishes, with the key path preflight names when it is taken."""

from __future__ import annotations

from kindplane.core.config import parse_config
from kindplane.core.render.host_ports import HostPort, cluster_host_ports

EVERYTHING = """\
cluster:
  name: ports
  ingress: true
  nodes: {workers: 1}
  registry: {enabled: true, port: 5999}
  portMappings:
    - {containerPort: 80, hostPort: 8080}
    - {containerPort: 53, hostPort: 5353, protocol: UDP, listenAddress: 0.0.0.0}
  mirrors:
    - {remote: https://registry-1.docker.io, hostPort: 5055}
    - {remote: https://ghcr.io}
  kind:
    networking: {apiServerPort: 6444}
    nodes:
      - extraPortMappings: [{containerPort: 1, hostPort: 8080}, {containerPort: 2, hostPort: 9090}]
      - extraPortMappings:
          - {containerPort: 3, hostPort: 9091, listenAddress: 127.0.0.1}
          - {containerPort: 4, hostPort: 0}
"""


def test_every_published_port_is_listed_with_its_key_and_kinds_defaults():
    assert cluster_host_ports(parse_config(EVERYTHING).cluster) == [
        HostPort("cluster.ingress", "127.0.0.1", 80, "TCP"),
        HostPort("cluster.ingress", "127.0.0.1", 443, "TCP"),
        HostPort("cluster.portMappings[0].hostPort", "127.0.0.1", 8080, "TCP"),
        HostPort("cluster.portMappings[1].hostPort", "0.0.0.0", 5353, "UDP"),
        # nodes[0].extraPortMappings[0] asks for 8080, which portMappings[0] has: the merge drops it.
        HostPort("cluster.kind.nodes[0].extraPortMappings[1].hostPort", "0.0.0.0", 9090, "TCP"),
        HostPort("cluster.kind.nodes[1].extraPortMappings[0].hostPort", "127.0.0.1", 9091, "TCP"),
        # hostPort 0 lets Docker pick: nothing to check.
        HostPort("cluster.kind.networking.apiServerPort", "127.0.0.1", 6444, "TCP"),
        HostPort("cluster.mirrors[0].hostPort", "127.0.0.1", 5055, "TCP", "kindplane-mirror-docker-io"),
    ]


def test_a_plain_config_publishes_nothing_but_the_registry_checked_on_its_own():
    assert cluster_host_ports(parse_config("cluster: {name: plain, registry: {enabled: true}}\n").cluster) == []
