"""The local registry and the pull-through mirrors, live: what kindplane does with them once they run.

http_api              the Registry HTTP API v2 client (catalog, tags, manifests, deletes)
push_gc               push a local image; garbage-collect inside the container (needs Docker)
distribution_version  which distribution release a registry container runs, and what follows
storage_scan          what a registry's storage holds, read from its filesystem in the container
disk_usage            `registry du`: bytes per repository, shared layers counted once
prune_plan            `registry prune`: which tags and manifests go (pure), and their paths
config_stores         the registries a config owns storage in, and du/prune/size caps on them
pod_images            the images the cluster's pods use: what prune keeps
oci_bundle            `registry export` / `import`: OCI image layout tarballs
mirror_preload        `registry preload`: warm the mirrors' caches
external              `external: true`: a registry this stack uses but never owns, at its live port
pulling_clusters      which other kind clusters pull through a registry (before `down` deletes it)
"""
