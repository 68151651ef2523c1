package main

// Package discovery (GetRequiredPackages) the way Pulumi's own Python host does it, so a Python
// environment that fails there fails here too:
//
//  1. the toolchain's EnsureVenv (creates a missing `virtualenv`, nothing for the ambient Python);
//  2. the toolchain's ListPackages, transitive: with `pip` that is `python -m pip list --format
//     json` on the interpreter (PULUMI_PYTHON_CMD, or the virtualenv's python) — an interpreter
//     without pip fails here ("calling `… -m pip list --format json`: exit status 1"), and the
//     engine reports "failed to discover package requirements: …";
//  3. each listed package's pulumi-plugin.json, found next to its module with importlib;
//  4. a package with that file, or named pulumi-*, is a plugin dependency: name, version and
//     server from the file, else from the package (name without "pulumi-", version translated
//     from PEP 440); `"resource": false` and the known plugin-less packages are skipped.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
)

// Packages that are Pulumi's but bring no resource plugin.
var withoutPlugin = map[string]bool{"pulumi-policy": true, "pulumi-esc-sdk": true}

// pluginFilesScript prints {package: path of its pulumi-plugin.json or ""} for the packages named
// on its command line: the file sits in the package's import directory (dashes become underscores).
const pluginFilesScript = `
import importlib.metadata as md, importlib.util as iu, json, os, sys
found = {}
for name in sys.argv[1:]:
    path = ""
    try:
        module = md.distribution(name).metadata["Name"].replace("-", "_")
        spec = iu.find_spec(module)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            candidate = os.path.join(str(folder), "pulumi-plugin.json")
            if os.path.isfile(candidate):
                path = candidate
                break
    except Exception:
        pass
    found[name] = path
print(json.dumps(found))
`

func requiredPackages(
	ctx context.Context, opts toolchain.PythonOptions, stdout, stderr io.Writer,
) ([]*pulumirpc.PackageDependency, error) {
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	if err := tc.EnsureVenv(ctx, opts.ProgramDir, false, true, stdout, stderr); err != nil {
		return nil, err
	}
	listed, err := tc.ListPackages(ctx, true)
	if err != nil {
		return nil, err
	}
	files, err := pluginFiles(ctx, tc, listed)
	if err != nil {
		return nil, err
	}
	var deps []*pulumirpc.PackageDependency
	for _, pkg := range listed {
		if withoutPlugin[pkg.Name] {
			continue
		}
		var info *plugin.PulumiPluginJSON
		if path := files[pkg.Name]; path != "" {
			if info, err = plugin.LoadPulumiPluginJSON(path); err != nil {
				return nil, fmt.Errorf("reading %s of %s: %w", path, pkg.Name, err)
			}
		}
		if info == nil && !strings.HasPrefix(pkg.Name, "pulumi-") {
			continue // not a Pulumi package
		}
		if dep := packageDependency(pkg, info); dep != nil {
			deps = append(deps, dep)
		}
	}
	return deps, nil
}

// pluginFiles runs pluginFilesScript on the toolchain's interpreter. Like Pulumi's host, a
// failure here only means "no files found": the package names still decide.
func pluginFiles(ctx context.Context, tc toolchain.Toolchain, listed []plugin.DependencyInfo) (map[string]string, error) {
	found := map[string]string{}
	if len(listed) == 0 {
		return found, nil
	}
	args := []string{"-c", pluginFilesScript}
	for _, pkg := range listed {
		args = append(args, pkg.Name)
	}
	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return found, nil
	}
	out, err := cmd.Output()
	if err != nil {
		return found, nil
	}
	if err := json.Unmarshal(out, &found); err != nil {
		return nil, fmt.Errorf("reading the pulumi-plugin.json paths: %w", err)
	}
	return found, nil
}

// packageDependency is the plugin a package asks for; nil when it has none, or when its version
// cannot be translated (the engine then loads the plugin on demand, as with Pulumi's host).
func packageDependency(pkg plugin.DependencyInfo, info *plugin.PulumiPluginJSON) *pulumirpc.PackageDependency {
	dep := &pulumirpc.PackageDependency{Kind: "resource"}
	if info != nil {
		if !info.Resource {
			return nil
		}
		dep.Name, dep.Version, dep.Server = info.Name, info.Version, info.Server
		if pz := info.Parameterization; pz != nil {
			dep.Parameterization = &pulumirpc.PackageParameterization{Name: pz.Name, Version: pz.Version, Value: pz.Value}
		}
	}
	if dep.Name == "" {
		dep.Name = strings.TrimPrefix(pkg.Name, "pulumi-")
	}
	if dep.Version == "" {
		version, err := pluginVersion(pkg.Version)
		if err != nil {
			return nil
		}
		dep.Version = version
	}
	if !strings.HasPrefix(dep.Version, "v") {
		dep.Version = "v" + dep.Version
	}
	return dep
}

// pluginVersion translates a PEP 440 release (N(.N)*[{a|b|rc}N][.postN][.devN]) into the plugin's
// semver: at least three numbers, a1 → -alpha.1, b1 → -beta.1, rc1 → -rc.1, .post2 → +post2,
// .dev3 → +dev3 (+post2dev3 with both). Epochs and local versions are not translated.
func pluginVersion(text string) (string, error) {
	rest := text
	number := func() string {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		n := rest[:i]
		rest = rest[i:]
		return n
	}
	var release []string
	for {
		n := number()
		if n == "" {
			return "", fmt.Errorf("%q: a release number is missing", text)
		}
		release = append(release, n)
		if !strings.HasPrefix(rest, ".") || len(rest) < 2 || rest[1] < '0' || rest[1] > '9' {
			break
		}
		rest = rest[1:]
	}
	if strings.HasPrefix(rest, "!") {
		return "", errors.New("epochs are not supported")
	}
	for len(release) < 3 {
		release = append(release, "0")
	}
	version := strings.Join(release, ".")
	for _, pre := range []struct{ tag, name string }{{"rc", "rc"}, {"a", "alpha"}, {"b", "beta"}} {
		if strings.HasPrefix(rest, pre.tag) {
			rest = rest[len(pre.tag):]
			version += "-" + pre.name + "." + number()
			break
		}
	}
	build := ""
	if strings.HasPrefix(rest, ".post") {
		rest = rest[len(".post"):]
		build = "post" + number()
	}
	if strings.HasPrefix(rest, ".dev") {
		rest = rest[len(".dev"):]
		build += "dev" + number()
	}
	if rest != "" {
		return "", fmt.Errorf("%q: cannot translate %q", text, rest)
	}
	if build != "" {
		version += "+" + build
	}
	return version, nil
}
