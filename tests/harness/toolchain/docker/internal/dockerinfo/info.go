// Package dockerinfo maps the upstream Terraform Docker provider onto the Pulumi "docker"
// package, with the resource and function tokens the pulumi_docker Python SDK uses.
package dockerinfo

import (
	"context"
	"runtime"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/terraform-providers/terraform-provider-docker/shim"
)

func defaultHost() string {
	if runtime.GOOS == "windows" {
		return "npipe:////./pipe/docker_engine"
	}
	return "unix:///var/run/docker.sock"
}

// Provider returns the bridge configuration. upstreamRepoPath may be empty; it only matters
// for schema generation (docs).
func Provider(version, upstreamRepoPath string) tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		P:                shimv2.NewProvider(shim.NewProvider()),
		Name:             "docker",
		Version:          version,
		Description:      "A Pulumi package for interacting with Docker in Pulumi programs",
		Keywords:         []string{"pulumi", "docker"},
		License:          "Apache-2.0",
		GitHubOrg:        "kreuzwerker",
		UpstreamRepoPath: upstreamRepoPath,
		Config: map[string]*tfbridge.SchemaInfo{
			"host": {
				Default: &tfbridge.DefaultInfo{
					EnvVars: []string{"DOCKER_HOST"},
					ComputeDefault: func(context.Context, tfbridge.ComputeDefaultOptions) (interface{}, error) {
						return defaultHost(), nil
					},
				},
			},
			// The SDK names this list in the singular.
			"registry_auth": {Name: "registryAuth", MaxItemsOne: tfbridge.False()},
		},
		Resources: map[string]*tfbridge.ResourceInfo{
			// Token names that differ from the Terraform names, as in the SDK.
			"docker_image":  {Tok: "docker:index/remoteImage:RemoteImage"},
			"docker_config": {Tok: "docker:index/serviceConfig:ServiceConfig"},
			"docker_container": {
				// A replacement container usually reuses the same name: delete first.
				DeleteBeforeReplace: true,
				Fields: map[string]*tfbridge.SchemaInfo{
					// Lists that the SDK keeps in the singular.
					"command":           {Name: "command"},
					"networks_advanced": {Name: "networksAdvanced"},
				},
			},
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			"docker_image": {Tok: "docker:index/getRemoteImage:getRemoteImage"},
		},
	}
	// Every other resource and data source: docker_foo_bar -> docker:index/fooBar:FooBar
	// (data sources: docker:index/getFooBar:getFooBar).
	info.MustComputeTokens(tokens.SingleModule("docker_", "index", tokens.MakeStandard("docker")))
	return info
}
