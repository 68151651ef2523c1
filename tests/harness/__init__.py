"""Real-Docker test harness for kindplane (test-only; never shipped).

Start Docker:   bash tests/harness/ensure_docker.sh start|stop   (.ci/run does this)

Python API (import as `from harness.<module> import …`; pytest's pythonpath has tests/):

- docker_env:  require_docker()  skip locally / fail when CI=true if Docker is unusable;
               docker(*args, input=, check=) → CompletedProcess (raises CommandFailed);
               run(argv, …); in_ci(); docker_problem(); image_exists(ref)
- images:      ensure_registry_image() → "registry:2"  (built from Debian docker-registry,
               official config/VOLUME/CMD; also kindplane-harness/registry:<hash>)
               ensure_node_image() → "kindplane-harness/node:<hash>"  (containerd + ctr + busybox)
               ensure_app_image(tag) → tag  (a one-file image to push)
- names:       unique_name(prefix) → "<prefix>-<8 hex>";  free_port() → int (below the ephemeral range, never 5001)
- shell:       run_shell(cmd, stdin) runs `sh -c cmd` with the kind stand-in first on PATH;
               run_program_command(ShellCommand, "create"|"delete"); standin_env(); BIN_DIR
- program_commands: program_commands(config_or_yaml) → ProgramCommands(kind, kubeconfig,
               hosts_toml{node: ShellCommand}, network_join, registry_container inputs,
               registry_volume inputs), read from the program under Pulumi mocks;
               config_text(cluster, control_planes, workers, registry, port, persistent)
- registry:    docker_run_argv(container_inputs, image="registry:2") → argv;
               run_registry(inputs) → container id (waits for /v2/); create_volume(inputs);
               registry_get(port, path) → (status, json); wait_for_registry(port);
               remove_container(name); remove_volume(name); port_bindings(name); inspect(name)
- cluster:     create_cluster(name, kind_config_yaml) → StandinCluster (via `kind` stand-in);
               StandinCluster.nodes()/containerd_nodes()/exec()/read_file()/ctr_fetch()/
               cri_registry_config_path()/delete(); cluster_containers(name); node_roles(name);
               ensure_kind_network()
- bin/kind:    the `kind` stand-in (create/delete cluster, get nodes/clusters/kubeconfig);
               node image from $KINDPLANE_HARNESS_NODE_IMAGE or built on demand.

Pytest fixtures built on this live in tests/docker/conftest.py. See docs/harness.md.
"""
