package local_test

// The stand-in's `command:local:Command` against what pulumi-command documents for it (the
// Command resource's docs and schema, and the provider's README): every test names the documented
// behaviour it checks. The provider runs in pulumi-go-provider's integration server, the same
// framework (diff, replace, update) the published provider is built on.

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-go-provider/integration"
	presource "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"kindplane.local/toolchain/command/local"
)

var urn = presource.NewURN("test", "kindplane", "", "command:local:Command", "cmd")

func server(t *testing.T) integration.Server {
	t.Helper()
	provider := infer.Provider(infer.Options{Resources: []infer.InferredResource{infer.Resource(&local.Command{})}})
	s, err := integration.NewServer(context.Background(), "command", semver.MustParse("1.2.1"), integration.WithProvider(provider))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func props(values map[string]any) property.Map {
	m := map[string]property.Value{}
	for k, v := range values {
		switch v := v.(type) {
		case string:
			m[k] = property.New(v)
		case map[string]string:
			env := map[string]property.Value{}
			for ek, ev := range v {
				env[ek] = property.New(ev)
			}
			m[k] = property.New(property.NewMap(env))
		case []string:
			var items []property.Value
			for _, item := range v {
				items = append(items, property.New(item))
			}
			m[k] = property.New(property.NewArray(items))
		default:
			panic("unsupported input type")
		}
	}
	return property.NewMap(m)
}

func create(t *testing.T, s integration.Server, in property.Map) p.CreateResponse {
	t.Helper()
	out, err := s.Create(p.CreateRequest{Urn: urn, Properties: in})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func stdout(m property.Map) string { return m.Get("stdout").AsString() }

// "create: The command to run on create." — and never in preview.
func TestCreateRunsTheCommandButNotInPreview(t *testing.T) {
	s, dir := server(t), t.TempDir()
	marker := filepath.Join(dir, "ran")
	in := props(map[string]any{"create": "echo created > " + marker + "; echo out; echo err >&2"})
	if _, err := s.Create(p.CreateRequest{Urn: urn, Properties: in, DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("create ran during preview")
	}
	out := create(t, s, in)
	if got := stdout(out.Properties); got != "out" {
		t.Errorf("stdout = %q, want \"out\" (one trailing newline trimmed)", got)
	}
	if got := out.Properties.Get("stderr").AsString(); got != "err" {
		t.Errorf("stderr = %q, want \"err\"", got)
	}
}

// "update: The command to run on update, if empty, create will run again."
func TestAnUpdateRunsUpdateOrElseCreateAgain(t *testing.T) {
	s := server(t)
	old := props(map[string]any{"create": "echo create-$V", "environment": map[string]string{"V": "1"}})
	state := create(t, s, old).Properties
	changed := props(map[string]any{"create": "echo create-$V", "environment": map[string]string{"V": "2"}})
	diff, err := s.Diff(p.DiffRequest{ID: "x", Urn: urn, State: state, OldInputs: old, Inputs: changed})
	if err != nil {
		t.Fatal(err)
	}
	if !diff.HasChanges || diff.DetailedDiff["environment.V"].Kind != p.Update || replaces(diff) != "" {
		t.Fatalf("an environment change should be an in-place update, got %+v", diff)
	}
	up, err := s.Update(p.UpdateRequest{ID: "x", Urn: urn, State: state, OldInputs: old, Inputs: changed})
	if err != nil {
		t.Fatal(err)
	}
	if got := stdout(up.Properties); got != "create-2" {
		t.Errorf("without update, create should run again: stdout = %q", got)
	}
	withUpdate := props(map[string]any{"create": "echo create-$V", "update": "echo update-$V", "environment": map[string]string{"V": "3"}})
	up, err = s.Update(p.UpdateRequest{ID: "x", Urn: urn, State: up.Properties, OldInputs: changed, Inputs: withUpdate})
	if err != nil {
		t.Fatal(err)
	}
	if got := stdout(up.Properties); got != "update-3" {
		t.Errorf("with update set, update should run: stdout = %q", got)
	}
}

func replaces(diff p.DiffResponse) string {
	for key, d := range diff.DetailedDiff {
		if d.Kind == p.UpdateReplace || d.Kind == p.AddReplace || d.Kind == p.DeleteReplace {
			return key
		}
	}
	return ""
}

// "triggers: Trigger a resource replacement on changes to any of these values." The schema marks
// `triggers` replaceOnChanges (so the SDKs register every Command with replaceOnChanges
// ["triggers[*]"]) and the provider's diff reports a trigger change under `triggers[…]`, which the
// engine then turns into the replacement; other inputs are in-place updates.
func TestATriggerChangeIsReportedWhereReplaceOnChangesFindsIt(t *testing.T) {
	s := server(t)
	schema, err := s.GetSchema(p.GetSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Resources map[string]struct {
			InputProperties map[string]struct {
				ReplaceOnChanges bool `json:"replaceOnChanges"`
			} `json:"inputProperties"`
		} `json:"resources"`
	}
	if err := json.Unmarshal([]byte(schema.Schema), &spec); err != nil {
		t.Fatal(err)
	}
	inputs := spec.Resources["command:local:Command"].InputProperties
	if !inputs["triggers"].ReplaceOnChanges || inputs["create"].ReplaceOnChanges {
		t.Errorf("schema: triggers must be replaceOnChanges and create not: %+v", inputs)
	}

	old := props(map[string]any{"create": "true", "triggers": []string{"a"}})
	state := create(t, s, old).Properties
	diff, err := s.Diff(p.DiffRequest{ID: "x", Urn: urn, State: state, OldInputs: old,
		Inputs: props(map[string]any{"create": "true", "triggers": []string{"b"}})})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := diff.DetailedDiff["triggers[0]"]; !ok || !diff.HasChanges {
		t.Errorf("a trigger change must be reported under triggers[0]: %+v", diff)
	}
	diff, err = s.Diff(p.DiffRequest{ID: "x", Urn: urn, State: state, OldInputs: old,
		Inputs: props(map[string]any{"create": "echo other", "triggers": []string{"a"}})})
	if err != nil {
		t.Fatal(err)
	}
	if key := replaces(diff); key != "" || !diff.HasChanges {
		t.Errorf("a changed create command is an in-place change (%s replaces): %+v", key, diff)
	}
	for key := range diff.DetailedDiff {
		if strings.HasPrefix(key, "triggers") {
			t.Errorf("unchanged triggers reported as changed: %+v", diff)
		}
	}
}

// "stdin: Pass a string to the command's process as standard in."
func TestStdinIsFedToTheCommand(t *testing.T) {
	out := create(t, server(t), props(map[string]any{"create": "cat", "stdin": "line 1\nline 2\n"}))
	if got := stdout(out.Properties); got != "line 1\nline 2" {
		t.Errorf("stdout = %q", got)
	}
}

// "delete: The command to run on delete. The environment variables PULUMI_COMMAND_STDOUT and
// PULUMI_COMMAND_STDERR are set to the stdout and stderr properties of the Command resource from
// previous create or update steps." It runs with the inputs stored in the state.
func TestDeleteRunsWithTheStoredEnvironmentAndThePreviousOutput(t *testing.T) {
	s, dir := server(t), t.TempDir()
	record := filepath.Join(dir, "deleted")
	in := props(map[string]any{
		"create":      "echo made-by-create",
		"delete":      `printf '%s|%s' "$WHO" "$PULUMI_COMMAND_STDOUT" > ` + record,
		"environment": map[string]string{"WHO": "stored"},
	})
	state := create(t, s, in).Properties
	if err := s.Delete(p.DeleteRequest{ID: "x", Urn: urn, Properties: state, OldInputs: in}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "stored|made-by-create" {
		t.Errorf("delete saw %q, want \"stored|made-by-create\"", got)
	}
}

// capture collects the provider's log lines (the integration server logs through slog).
type capture struct {
	mu    sync.Mutex
	lines []string
}

func (c *capture) Enabled(context.Context, slog.Level) bool { return true }
func (c *capture) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, r.Message)
	return nil
}
func (c *capture) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *capture) WithGroup(string) slog.Handler      { return c }

// "logging: If the command's stdout and stderr should be logged. … Defaults to stdoutAndStderr."
// With `none`, a secret on stdout (a kubeconfig's client key) never reaches the logs.
func TestLoggingDefaultsToBothStreamsAndNoneLogsNothing(t *testing.T) {
	logs := &capture{}
	previous := slog.Default()
	slog.SetDefault(slog.New(logs))
	defer slog.SetDefault(previous)
	s := server(t)

	create(t, s, props(map[string]any{"create": "echo visible-out; echo visible-err >&2"}))
	create(t, s, props(map[string]any{"create": "echo client-key-data: SECRET", "logging": "none"}))
	create(t, s, props(map[string]any{"create": "echo only-out; echo hidden-err >&2", "logging": "stdout"}))

	joined := strings.Join(logs.lines, "\n")
	for _, want := range []string{"visible-out", "visible-err", "only-out"} {
		if !strings.Contains(joined, want) {
			t.Errorf("%q was not logged; logs:\n%s", want, joined)
		}
	}
	for _, hidden := range []string{"SECRET", "hidden-err"} {
		if strings.Contains(joined, hidden) {
			t.Errorf("%q was logged; logs:\n%s", hidden, joined)
		}
	}
}
