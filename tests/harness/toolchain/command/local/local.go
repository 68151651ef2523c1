// Package local implements `command:local:Command` and `command:local:run` of the Pulumi
// Command provider's published schema (package "command"), for the kindplane test toolchain.
//
// The real provider module (github.com/pulumi/pulumi-command/provider) is not served by the Go
// module proxy this toolchain builds from; this is a re-implementation of its documented local
// behaviour on the same framework (pulumi-go-provider's infer), so diff/replace/preview/secret
// handling is the framework's, as in the real provider:
//   - `create` runs on create (never in preview); a change of any input other than `triggers` is
//     an in-place update that runs `update`, or `create` when `update` is unset; a change of
//     `triggers` replaces the resource; `delete` runs with the inputs stored in state.
//   - commands run under `interpreter` (default `/bin/sh -c`) in `dir` (default: the provider's
//     working directory) with the provider's environment plus `environment`; the previous
//     stdout/stderr are passed as PULUMI_COMMAND_STDOUT/PULUMI_COMMAND_STDERR unless
//     `addPreviousOutputInEnv` is false; `stdin` is fed to the process.
//   - stdout and stderr are outputs (one trailing newline trimmed) and are logged line by line as
//     info status messages as `logging` says (default: both).
//   - `assetPaths`/`archivePaths` globs (gobwas/glob, `/` separator, `!` excludes, files only)
//     are read after the command.
//
// Not implemented: the `command:remote:*` resources (SSH).
package local

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"strings"
	"sync"

	"github.com/gobwas/glob"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-go-provider/infer/types"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Logging says which of the command's streams are logged.
type Logging string

const (
	LogStdout          Logging = "stdout"
	LogStderr          Logging = "stderr"
	LogStdoutAndStderr Logging = "stdoutAndStderr"
	NoLogging          Logging = "none"
)

func (Logging) Values() []infer.EnumValue[Logging] {
	return []infer.EnumValue[Logging]{
		{Name: "stdout", Value: LogStdout, Description: "Capture stdout in logs but not stderr"},
		{Name: "stderr", Value: LogStderr, Description: "Capture stderr in logs but not stdout"},
		{Name: "stdoutAndStderr", Value: LogStdoutAndStderr, Description: "Capture stdout and stderr in logs"},
		{Name: "none", Value: NoLogging, Description: "Capture no logs"},
	}
}

func logsStdout(l *Logging) bool { return l == nil || *l == LogStdout || *l == LogStdoutAndStderr }
func logsStderr(l *Logging) bool { return l == nil || *l == LogStderr || *l == LogStdoutAndStderr }

// ProcessArgs are the inputs shared by Command and run.
type ProcessArgs struct {
	Stdin                  *string            `pulumi:"stdin,optional"`
	Logging                *Logging           `pulumi:"logging,optional"`
	Interpreter            *[]string          `pulumi:"interpreter,optional"`
	Dir                    *string            `pulumi:"dir,optional"`
	Environment            *map[string]string `pulumi:"environment,optional"`
	AssetPaths             *[]string          `pulumi:"assetPaths,optional"`
	ArchivePaths           *[]string          `pulumi:"archivePaths,optional"`
	AddPreviousOutputInEnv *bool              `pulumi:"addPreviousOutputInEnv,optional"`
}

// ProcessResult are the outputs shared by Command and run.
type ProcessResult struct {
	Stdout  string                            `pulumi:"stdout"`
	Stderr  string                            `pulumi:"stderr"`
	Assets  *map[string]*types.AssetOrArchive `pulumi:"assets,optional"`
	Archive *resource.Archive                 `pulumi:"archive,optional"`
}

// Command is `command:local:Command`.
type Command struct{}

type CommandArgs struct {
	Triggers *[]any  `pulumi:"triggers,optional" provider:"replaceOnChanges"`
	Create   *string `pulumi:"create,optional"`
	Update   *string `pulumi:"update,optional"`
	Delete   *string `pulumi:"delete,optional"`
	ProcessArgs
}

type CommandState struct {
	CommandArgs
	ProcessResult
}

func (c *Command) Annotate(a infer.Annotator) {
	a.Describe(&c, "A local command to be executed.")
}

func (c *Command) Create(
	ctx context.Context, req infer.CreateRequest[CommandArgs],
) (infer.CreateResponse[CommandState], error) {
	state := CommandState{CommandArgs: req.Inputs}
	id, err := resource.NewUniqueHex(req.Name, 8, 0)
	if err != nil || req.DryRun || req.Inputs.Create == nil {
		return infer.CreateResponse[CommandState]{ID: id, Output: state}, err
	}
	err = execute(ctx, *req.Inputs.Create, state.ProcessArgs, &state.ProcessResult)
	return infer.CreateResponse[CommandState]{ID: id, Output: state}, err
}

func (c *Command) Update(
	ctx context.Context, req infer.UpdateRequest[CommandArgs, CommandState],
) (infer.UpdateResponse[CommandState], error) {
	state := CommandState{CommandArgs: req.Inputs, ProcessResult: req.State.ProcessResult}
	command := req.Inputs.Update
	if command == nil {
		command = req.Inputs.Create
	}
	if req.DryRun || command == nil {
		return infer.UpdateResponse[CommandState]{Output: state}, nil
	}
	err := execute(ctx, *command, state.ProcessArgs, &state.ProcessResult)
	return infer.UpdateResponse[CommandState]{Output: state}, err
}

func (c *Command) Delete(ctx context.Context, req infer.DeleteRequest[CommandState]) (infer.DeleteResponse, error) {
	state := req.State
	if state.Delete == nil {
		return infer.DeleteResponse{}, nil
	}
	return infer.DeleteResponse{}, execute(ctx, *state.Delete, state.ProcessArgs, &state.ProcessResult)
}

// Run is the `command:local:run` function: it runs its command on every preview and update.
type Run struct{}

type RunArgs struct {
	ProcessArgs
	Command string `pulumi:"command"`
}

type RunResult struct {
	RunArgs
	ProcessResult
}

func (r *Run) Annotate(a infer.Annotator) {
	a.Describe(&r, "A local command to be executed unconditionally.")
}

func (*Run) Invoke(ctx context.Context, req infer.FunctionRequest[RunArgs]) (infer.FunctionResponse[RunResult], error) {
	out := RunResult{RunArgs: req.Input}
	err := execute(ctx, req.Input.Command, req.Input.ProcessArgs, &out.ProcessResult)
	return infer.FunctionResponse[RunResult]{Output: out}, err
}

// lockedWriter serialises writes of the two output streams into one buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// execute runs command as args says; prev holds the previous outputs and receives the new ones.
func execute(ctx context.Context, command string, args ProcessArgs, prev *ProcessResult) error {
	argv := []string{"/bin/sh", "-c"}
	if args.Interpreter != nil && len(*args.Interpreter) > 0 {
		argv = append([]string(nil), *args.Interpreter...)
	}
	argv = append(argv, command)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...) //nolint:gosec // running commands is the point

	var err error
	if args.Dir != nil {
		cmd.Dir = *args.Dir
	} else if cmd.Dir, err = os.Getwd(); err != nil {
		return err
	}
	cmd.Env = os.Environ()
	if args.Environment != nil {
		for k, v := range *args.Environment {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	if args.AddPreviousOutputInEnv == nil || *args.AddPreviousOutputInEnv {
		if prev.Stdout != "" {
			cmd.Env = append(cmd.Env, "PULUMI_COMMAND_STDOUT="+prev.Stdout)
		}
		if prev.Stderr != "" {
			cmd.Env = append(cmd.Env, "PULUMI_COMMAND_STDERR="+prev.Stderr)
		}
	}
	if args.Stdin != nil && *args.Stdin != "" {
		cmd.Stdin = strings.NewReader(*args.Stdin)
	}

	var stdout, stderr, combined bytes.Buffer
	both := &lockedWriter{w: &combined}
	logR, logW := io.Pipe()
	logged := &lockedWriter{w: logW}
	outs := []io.Writer{&stdout, both}
	if logsStdout(args.Logging) {
		outs = append(outs, logged)
	}
	errs := []io.Writer{&stderr, both}
	if logsStderr(args.Logging) {
		errs = append(errs, logged)
	}
	cmd.Stdout, cmd.Stderr = io.MultiWriter(outs...), io.MultiWriter(errs...)

	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		log := p.GetLogger(ctx)
		lines := bufio.NewScanner(logR)
		lines.Buffer(make([]byte, 64*1024), 16*1024*1024)
		for lines.Scan() {
			log.InfoStatus(lines.Text())
		}
		_, _ = io.Copy(io.Discard, logR)
	}()
	err = cmd.Run()
	_ = logW.Close()
	<-logDone
	if err != nil {
		return fmt.Errorf("%w: running %q:\n%s", err, command, combined.String())
	}

	if args.AssetPaths != nil {
		assets, err := findAssets(cmd.Dir, *args.AssetPaths)
		if err != nil {
			return err
		}
		prev.Assets = &assets
	}
	if args.ArchivePaths != nil {
		assets, err := findAssets(cmd.Dir, *args.ArchivePaths)
		if err != nil {
			return err
		}
		members := make(map[string]any, len(assets))
		for name, a := range assets {
			members[name] = a.Asset
		}
		archive, err := resource.NewAssetArchive(members)
		if err != nil {
			return err
		}
		prev.Archive = archive
	}
	prev.Stdout = strings.TrimSuffix(stdout.String(), "\n")
	prev.Stderr = strings.TrimSuffix(stderr.String(), "\n")
	return nil
}

// findAssets returns the files under dir matched by the globs, applied in order (`!` excludes).
func findAssets(dir string, globs []string) (map[string]*types.AssetOrArchive, error) {
	type rule struct {
		g       glob.Glob
		exclude bool
	}
	rules := make([]rule, 0, len(globs))
	for _, g := range globs {
		exclude := strings.HasPrefix(g, "!")
		compiled, err := glob.Compile(strings.TrimPrefix(g, "!"), '/')
		if err != nil {
			return nil, err
		}
		rules = append(rules, rule{compiled, exclude})
	}
	found := map[string]*types.AssetOrArchive{}
	err := fs.WalkDir(os.DirFS(dir), ".", func(rel string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		for _, r := range rules {
			if !r.g.Match(rel) {
				continue
			}
			if r.exclude {
				delete(found, rel)
				continue
			}
			asset, err := resource.NewPathAsset(path.Join(dir, rel))
			if err != nil {
				return err
			}
			found[rel] = &types.AssetOrArchive{Asset: asset}
		}
		return nil
	})
	return found, err
}
