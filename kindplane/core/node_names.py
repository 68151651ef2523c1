"""kind's names for node containers, from strings alone (config validation uses them too).

kind names node containers `<cluster>-control-plane`, `<cluster>-control-plane2`, …,
`<cluster>-worker`, `<cluster>-worker2`, … and adds `<cluster>-external-load-balancer` when
there are several control planes; that load balancer runs haproxy, not containerd, so it never
gets registry configuration.
"""


def _numbered(prefix: str, count: int) -> list[str]:
    return [prefix if i == 1 else f"{prefix}{i}" for i in range(1, count + 1)]


def control_plane_names(cluster: str, count: int) -> list[str]:
    return _numbered(f"{cluster}-control-plane", count)


def worker_names(cluster: str, count: int) -> list[str]:
    return _numbered(f"{cluster}-worker", count)


def load_balancer_name(cluster: str) -> str:
    return f"{cluster}-external-load-balancer"


def longest_node_name(cluster: str, control_planes: int, workers: int) -> str:
    names = control_plane_names(cluster, control_planes) + worker_names(cluster, workers)
    if control_planes > 1:
        names.append(load_balancer_name(cluster))
    return max(names, key=len)
