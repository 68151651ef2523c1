// Command gen-schema writes the Pulumi package schema of the docker plugin.
// Usage: gen-schema VERSION UPSTREAM_DIR OUT_FILE (UPSTREAM_DIR: the upstream module's
// directory, for the docs; may be empty).
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"

	"kindplane.test/toolchain/docker/internal/dockerinfo"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: gen-schema VERSION UPSTREAM_DIR OUT_FILE")
		os.Exit(2)
	}
	version, upstream, out := os.Args[1], os.Args[2], os.Args[3]
	sink := diag.DefaultSink(os.Stderr, os.Stderr, diag.FormatOptions{Color: colors.Never})
	spec, err := tfgen.GenerateSchema(dockerinfo.Provider(version, upstream), sink)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen-schema:", err)
		os.Exit(1)
	}
	spec.Version = version
	data, err := json.MarshalIndent(spec, "", "    ")
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen-schema:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(out, append(data, '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen-schema:", err)
		os.Exit(1)
	}
}
