// Command kindplane-containerd-patch applies kind's containerdConfigPatches to a containerd config
// with kind's own code (sigs.k8s.io/kind/pkg/internal/patch.ContainerdTOML, the function kind's
// config action runs on every node's /etc/containerd/config.toml before restarting containerd).
//
// build_kind.sh copies this file into a copy of the sigs.k8s.io/kind module (as
// pkg/cmd/kindplane-containerd-patch/main.go: kind's internal packages are importable only from
// inside the module) and builds it with kind's own go.mod and go.sum.
//
// Usage: kindplane-containerd-patch BASE_CONFIG < {"patches": [...], "patchesJSON6902": [...]}
// prints the patched config; on error prints kind's error and exits 1.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"sigs.k8s.io/kind/pkg/internal/patch"
)

type request struct {
	Patches         []string `json:"patches"`
	PatchesJSON6902 []string `json:"patchesJSON6902"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: kindplane-containerd-patch BASE_CONFIG < patches.json")
		os.Exit(2)
	}
	base, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, "reading the patches (JSON on stdin):", err)
		os.Exit(2)
	}
	patched, err := patch.ContainerdTOML(string(base), req.Patches, req.PatchesJSON6902)
	if err != nil {
		// kind's own wording (pkg/cluster/internal/create/actions/config)
		fmt.Fprintf(os.Stderr, "failed to patch containerd config: %v\n", err)
		os.Exit(1)
	}
	fmt.Print(patched)
}
