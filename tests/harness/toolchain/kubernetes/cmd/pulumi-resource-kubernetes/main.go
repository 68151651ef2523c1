// Command pulumi-resource-kubernetes serves the Kubernetes provider of
// github.com/pulumi/pulumi-kubernetes/provider/v4 as a Pulumi plugin.
//
// The upstream main package embeds two generated, git-ignored files that the published module
// does not contain. build_kubernetes.sh writes them next to this file (in a temporary copy of
// the wrapper module) with cmd/embedgen before it builds: schema-embed.json is the provider's
// committed schema.json with its "version" set, terraform-mapping-embed.json is the committed
// terraform-mapping.json, compacted.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
