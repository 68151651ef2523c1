// Local stand-in for the `shim` package that pulumi-docker adds to its upstream submodule with
// a patch: it only exposes the SDKv2 provider from the upstream's internal/provider package.
// Its module path is nested under the upstream module's path, so Go's internal-package rule
// (which, in module mode, compares import paths) allows the import.
module github.com/terraform-providers/terraform-provider-docker/shim

go 1.25.8
