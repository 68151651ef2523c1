// Command pulumi-resource-command serves the `command` provider's local resources (see package
// local) for the kindplane test toolchain. Its version is set at link time (-X main.version) to
// the pulumi-command version the Python SDK asks for.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-go-provider/middleware/schema"

	"kindplane.local/toolchain/command/local"
)

var version = "0.0.0-dev"

func main() {
	provider := infer.Provider(infer.Options{
		Metadata: schema.Metadata{
			DisplayName: "Command",
			Description: "Local commands as Pulumi resources (kindplane toolchain build of the command provider's local resources).",
			License:     "Apache-2.0",
			LanguageMap: map[string]any{
				"python": map[string]any{"respectSchemaVersion": true, "pyproject": map[string]bool{"enabled": true}},
			},
		},
		Resources: []infer.InferredResource{infer.Resource(&local.Command{})},
		Functions: []infer.InferredFunction{infer.Function(&local.Run{})},
	})
	if err := provider.Run(context.Background(), "command", strings.TrimPrefix(version, "v")); err != nil {
		fmt.Fprintf(os.Stderr, "Error: %s", err)
		os.Exit(1)
	}
}
