// Command pulumi-resource-docker serves the Pulumi "docker" resource plugin: the Terraform
// bridge over the upstream Terraform Docker provider. The build script generates
// schema-embed.json (with cmd/gen-schema) in a temporary copy of this module before building;
// it is not part of the checkout.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"

	"kindplane.test/toolchain/docker/internal/dockerinfo"
)

//go:embed schema-embed.json
var pulumiSchema []byte

// version is set with -ldflags "-X main.version=X.Y.Z".
var version = "0.0.0-dev"

func main() {
	tfbridge.Main("docker", version, dockerinfo.Provider(version, ""), pulumiSchema)
}
