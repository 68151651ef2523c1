package main

// Plugin discovery as Pulumi's Python host documents and does it (sdk/python/cmd/
// pulumi-language-python: GetRequiredPackages over the toolchain's ListPackages): pip lists the
// interpreter's packages, pulumi-plugin.json names the plugin, and an interpreter without pip fails.
// These tests need python3 with pip on PATH (the machine's, as the engine tests do).

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
)

func python(t *testing.T) string {
	t.Helper()
	found, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is not on PATH: %v", err)
	}
	return found
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// distribution installs a minimal package (what pip and importlib read) into site.
func distribution(t *testing.T, site, name, version, pluginJSON string) {
	t.Helper()
	module := strings.ReplaceAll(name, "-", "_")
	info := filepath.Join(site, module+"-"+version+".dist-info")
	write(t, filepath.Join(info, "METADATA"), "Metadata-Version: 2.1\nName: "+name+"\nVersion: "+version+"\n")
	write(t, filepath.Join(info, "RECORD"), "")
	write(t, filepath.Join(site, module, "__init__.py"), "")
	if pluginJSON != "" {
		write(t, filepath.Join(site, module, "pulumi-plugin.json"), pluginJSON)
	}
}

func byName(deps []*pulumirpc.PackageDependency) map[string]*pulumirpc.PackageDependency {
	found := map[string]*pulumirpc.PackageDependency{}
	for _, d := range deps {
		found[d.Name] = d
	}
	return found
}

func TestDiscoveryReadsPipListAndPulumiPluginJSON(t *testing.T) {
	site := t.TempDir()
	distribution(t, site, "pulumi-widget", "3.4.5", "")
	distribution(t, site, "pulumi-gadget", "1.0", `{"resource": true, "name": "gadget-x", "version": "2.0.0", "server": "https://plugins.example"}`)
	distribution(t, site, "pulumi-nores", "1.0.0", `{"resource": false}`)
	distribution(t, site, "pulumi-policy", "1.0.0", "")
	distribution(t, site, "pulumi-early", "1.2.3b4", "")
	distribution(t, site, "plainlib", "9.9.9", "")
	distribution(t, site, "tagged", "0.1.0", `{"resource": true, "name": "tagged", "version": "v0.1.0"}`)
	t.Setenv("PULUMI_PYTHON_CMD", python(t))
	t.Setenv("PYTHONPATH", site)

	root := t.TempDir()
	deps, err := requiredPackages(context.Background(),
		toolchain.PythonOptions{Root: root, ProgramDir: root, Toolchain: toolchain.Pip}, os.Stdout, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	found := byName(deps)
	want := map[string]struct{ version, server string }{
		"widget":   {"v3.4.5", ""},                        // named pulumi-*: name and version from the package
		"gadget-x": {"v2.0.0", "https://plugins.example"}, // pulumi-plugin.json wins
		"early":    {"v1.2.3-beta.4", ""},                 // PEP 440 pre-release translated
		"tagged":   {"v0.1.0", ""},                        // any package with pulumi-plugin.json counts
	}
	for name, w := range want {
		d := found[name]
		if d == nil {
			t.Errorf("%s: not discovered (got %v)", name, deps)
			continue
		}
		if d.Version != w.version || d.Server != w.server || d.Kind != "resource" {
			t.Errorf("%s: got version %q server %q kind %q, want %q %q resource", name, d.Version, d.Server, d.Kind, w.version, w.server)
		}
	}
	for _, name := range []string{"nores", "policy", "plainlib", "pulumi-nores"} {
		if found[name] != nil {
			t.Errorf("%s: discovered, but it has no plugin", name)
		}
	}
}

func TestDiscoveryFailsOnAnInterpreterWithoutPip(t *testing.T) {
	dir := t.TempDir()
	venv := filepath.Join(dir, "venv")
	if out, err := exec.Command(python(t), "-m", "venv", "--without-pip", venv).CombinedOutput(); err != nil {
		t.Fatalf("python3 -m venv --without-pip: %v\n%s", err, out)
	}
	interpreter := filepath.Join(venv, "bin", "python")
	cases := map[string]struct {
		env  string
		opts toolchain.PythonOptions
	}{
		// kindplane's door: PULUMI_PYTHON_CMD names the interpreter, no virtualenv option.
		"PULUMI_PYTHON_CMD": {interpreter, toolchain.PythonOptions{Root: dir, ProgramDir: dir, Toolchain: toolchain.Pip}},
		// Pulumi.yaml `virtualenv: venv`: that venv's python.
		"virtualenv option": {"", toolchain.PythonOptions{Root: dir, ProgramDir: dir, Toolchain: toolchain.Pip, Virtualenv: "venv"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("PULUMI_PYTHON_CMD", c.env)
			_, err := requiredPackages(context.Background(), c.opts, os.Stdout, os.Stderr)
			if err == nil {
				t.Fatal("discovery succeeded on a Python without pip; Pulumi's host fails there")
			}
			want := "calling `" + interpreter + " -m pip list --format json`: exit status 1"
			if err.Error() != want {
				t.Fatalf("got error %q, want %q", err, want)
			}
		})
	}
}

func TestPluginVersionTranslatesPEP440(t *testing.T) {
	for in, want := range map[string]string{
		"5.2.0":             "5.2.0",
		"1.0":               "1.0.0",
		"4":                 "4.0.0",
		"1.2.3a4":           "1.2.3-alpha.4",
		"1.2.3b1":           "1.2.3-beta.1",
		"1.2.3rc2":          "1.2.3-rc.2",
		"1.2.3.post4":       "1.2.3+post4",
		"1.2.3.dev5":        "1.2.3+dev5",
		"1.2.3.post4.dev5":  "1.2.3+post4dev5",
		"3.31.0a1605189729": "3.31.0-alpha.1605189729",
	} {
		got, err := pluginVersion(in)
		if err != nil || got != want {
			t.Errorf("pluginVersion(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1!2.0", "1.0+local", "abc"} {
		if got, err := pluginVersion(bad); err == nil {
			t.Errorf("pluginVersion(%q) = %q; want an error", bad, got)
		}
	}
}
