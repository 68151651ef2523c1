// Command pulumi-language-python is a small Python language host for the kindplane test
// toolchain.
//
// Pulumi's own host (module github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3)
// is not served by the Go module proxy this toolchain builds from, so this one implements the
// part of the LanguageRuntime protocol that `pulumi preview/up/refresh/destroy` of a Python
// project uses: Handshake, GetRequiredPackages, Run, GetPluginInfo, InstallDependencies, About,
// GetProgramDependencies and RuntimeOptionsPrompts. Everything else answers Unimplemented
// (code generation, `pulumi package`, policy packs, debugging, Python plugins).
//
// The Python side is Pulumi's: the program runs under `pulumi-language-python-exec` (copied next
// to this binary from the published sdk/v3 module), and the interpreter is picked by the SDK's
// own toolchain package (pip/poetry/uv, `virtualenv` option), as Pulumi's host does.
// Automation API programs with an inline program never start a language host.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// execScript is the SDK's program runner, expected next to this binary.
const execScript = "pulumi-language-python-exec"

// exitAfterUserMessage is the exit code with which the runner says it already reported the error.
const exitAfterUserMessage = 32

func main() {
	showVersion := flag.Bool("version", false, "print the version and exit")
	tracing := flag.String("tracing", "", "Zipkin-compatible tracing endpoint (passed to the program)")
	executor := flag.String("use-executor", "", "program runner to use instead of the one next to this binary")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.Version)
		return
	}

	runner := *executor
	if runner == "" {
		self, err := os.Executable()
		if err != nil {
			fail(fmt.Errorf("locating this executable: %w", err))
		}
		runner = filepath.Join(filepath.Dir(self), execScript)
	}
	if _, err := os.Stat(runner); err != nil {
		fail(fmt.Errorf("missing program runner: %w", err))
	}

	host := &languageHost{runner: runner, tracing: *tracing}
	if args := flag.Args(); len(args) > 0 {
		host.engine = args[0]
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cancel := make(chan bool)
	go func() {
		<-ctx.Done()
		close(cancel)
	}()
	if host.engine != "" {
		// Exit when the engine goes away.
		if err := rpcutil.Healthcheck(ctx, host.engine, 5*time.Minute, stop); err != nil {
			fail(fmt.Errorf("starting the engine health check: %w", err))
		}
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
		Options: rpcutil.TracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fail(fmt.Errorf("starting the gRPC server: %w", err))
	}
	fmt.Printf("%d\n", handle.Port) // the engine reads the port from the first line
	if err := <-handle.Done; err != nil {
		fail(fmt.Errorf("gRPC server stopped: %w", err))
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "pulumi-language-python: %v\n", err)
	os.Exit(1)
}

type languageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	runner  string
	engine  string
	tracing string
}

// pythonOptions reads the project's `runtime.options` (toolchain, virtualenv, typechecker).
func pythonOptions(info *pulumirpc.ProgramInfo) (toolchain.PythonOptions, error) {
	opts := toolchain.PythonOptions{}
	if info == nil {
		return opts, errors.New("the engine sent no program info")
	}
	opts.Root, opts.ProgramDir = info.RootDirectory, info.ProgramDirectory
	options := info.GetOptions().AsMap()
	str := func(key string) (string, error) {
		v, ok := options[key]
		if !ok {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("runtime option %q must be a string", key)
		}
		return s, nil
	}
	var err error
	if opts.Virtualenv, err = str("virtualenv"); err != nil {
		return opts, err
	}
	tc, err := str("toolchain")
	if err != nil {
		return opts, err
	}
	switch tc {
	case "":
		opts.Toolchain = toolchain.Auto
	case "pip":
		opts.Toolchain = toolchain.Pip
	case "poetry":
		opts.Toolchain = toolchain.Poetry
	case "uv":
		opts.Toolchain = toolchain.Uv
	default:
		return opts, fmt.Errorf("unsupported toolchain option: %s", tc)
	}
	checker, err := str("typechecker")
	if err != nil {
		return opts, err
	}
	switch checker {
	case "":
	case "mypy":
		opts.Typechecker = toolchain.TypeCheckerMypy
	case "pyright":
		opts.Typechecker = toolchain.TypeCheckerPyright
	default:
		return opts, fmt.Errorf("unsupported typechecker option: %s", checker)
	}
	return opts, nil
}

func (h *languageHost) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.EngineAddress != "" {
		h.engine = req.EngineAddress
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *languageHost) GetPluginInfo(ctx context.Context, _ *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

func (h *languageHost) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	opts, err := pythonOptions(req.Info)
	if err != nil {
		return nil, err
	}
	packages, err := requiredPackages(ctx, opts, os.Stdout, os.Stderr)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: packages}, nil
}

func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return ": " + strings.TrimSpace(string(ee.Stderr))
	}
	return ""
}

func (h *languageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if req.GetAttachDebugger() {
		return nil, errors.New("this Python language host does not support debugging")
	}
	opts, err := pythonOptions(req.Info)
	if err != nil {
		return nil, err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, err
	}

	args := []string{h.runner}
	flagArg := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	flagArg("monitor", req.MonitorAddress)
	flagArg("engine", h.engine)
	flagArg("project", req.Project)
	flagArg("root_directory", req.Info.RootDirectory)
	flagArg("stack", req.Stack)
	flagArg("pwd", req.Pwd)
	flagArg("dry_run", strconv.FormatBool(req.DryRun))
	flagArg("parallel", strconv.Itoa(int(req.Parallel)))
	flagArg("tracing", h.tracing)
	flagArg("organization", req.Organization)
	args = append(args, req.Info.EntryPoint)
	args = append(args, req.Args...)

	if checker := typecheckerModule(opts); checker != "" {
		check, err := tc.Command(ctx, "-m", checker, req.Info.ProgramDirectory)
		if err != nil {
			return nil, err
		}
		check.Dir, check.Stdout, check.Stderr = req.Info.ProgramDirectory, os.Stdout, os.Stderr
		if err := check.Run(); err != nil {
			return nil, fmt.Errorf("%s failed: %w", checker, err)
		}
	}

	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return nil, err
	}
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	if req.Config != nil {
		config, err := json.Marshal(req.Config)
		if err != nil {
			return nil, err
		}
		env = append(env, "PULUMI_CONFIG="+string(config))
	}
	secretKeys := req.ConfigSecretKeys
	if secretKeys == nil {
		secretKeys = []string{}
	}
	keys, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	cmd.Env = append(env, "PULUMI_CONFIG_SECRET_KEYS="+string(keys))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second

	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run the Python program runner: %v", err)}, nil
		}
		if ee.ExitCode() == exitAfterUserMessage {
			return &pulumirpc.RunResponse{Bail: true}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited with non-zero exit code: %d", ee.ExitCode())}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

func typecheckerModule(opts toolchain.PythonOptions) string {
	switch opts.Typechecker {
	case toolchain.TypeCheckerMypy:
		return "mypy"
	case toolchain.TypeCheckerPyright:
		return "pyright"
	}
	return ""
}

// InstallDependencies runs the toolchain's install (`pulumi install`); output goes to the engine.
func (h *languageHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, stream grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	opts, err := pythonOptions(req.Info)
	if err != nil {
		return err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return err
	}
	out := streamWriter{send: func(b []byte) error { return stream.Send(&pulumirpc.InstallDependenciesResponse{Stdout: b}) }}
	errw := streamWriter{send: func(b []byte) error { return stream.Send(&pulumirpc.InstallDependenciesResponse{Stderr: b}) }}
	return tc.InstallDependencies(stream.Context(), opts.ProgramDir, req.UseLanguageVersionTools, true, out, errw)
}

type streamWriter struct{ send func([]byte) error }

func (w streamWriter) Write(p []byte) (int, error) {
	if err := w.send(append([]byte(nil), p...)); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (h *languageHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	opts, err := pythonOptions(req.Info)
	if err != nil {
		return nil, err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	info, err := tc.About(ctx)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{Executable: info.PythonExecutable, Version: info.PythonVersion.String()}, nil
}

func (h *languageHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	opts, err := pythonOptions(req.Info)
	if err != nil {
		return nil, err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	deps, err := tc.ListPackages(ctx, req.TransitiveDependencies)
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetProgramDependenciesResponse{}
	for _, d := range deps {
		resp.Dependencies = append(resp.Dependencies, &pulumirpc.DependencyInfo{Name: d.Name, Version: d.Version})
	}
	return resp, nil
}

func (h *languageHost) RuntimeOptionsPrompts(
	ctx context.Context, req *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}
