"""The commented kindplane.yaml `kindplane init` writes (and `kindplane validate` accepts)."""

from __future__ import annotations

STARTER = """\
# kindplane.yaml: one Kind cluster and, optionally, a local registry wired into every node.
# `kindplane validate` checks this file, `kindplane up` creates everything, `kindplane down` removes it.
cluster:
  # Kind cluster name (lower-case letters, digits and '-'); kubectl context: kind-<name>.
  name: {name}
  # Kubernetes minor ("1.31": the node image, by digest, that the pinned kind publishes for it);
  # leave out for kind's default.
  # kubernetesVersion: "1.31"
  nodes:
    controlPlane: 1
    workers: 0
  registry:
    # A registry container on 127.0.0.1:<port>; push to localhost:<port>/<image>.
    enabled: {enabled}
    # distribution v3, as kind's local-registry script runs it (left out, the image is registry:2).
    image: registry:3
    port: 5001
    # true: keep the registry and its images on `kindplane down`.
    persistent: false
    # Container name; code inside pods reaches the registry at <name>:5000.
    name: kind-registry
    # Another stack (or kind's registry script) already runs it: use it, never create or delete it.
    # Then leave out port, persistent and image: the port is read from the running container.
    # external: true
    # Host address of the port (0.0.0.0 exposes the registry to the network).
    # listenAddress: 127.0.0.1
  # Host ports forwarded to the first control-plane node, e.g. for a NodePort service:
  # portMappings:
  #   - containerPort: 30080
  #     hostPort: 8080
"""


def starter_yaml(name: str = "kindplane-dev", registry: bool = False) -> str:
    return STARTER.format(name=name, enabled="true" if registry else "false")
