package modules

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

// systemdModule manages systemd units: install a unit file, daemon-reload,
// mask, enable, and bring the unit to a state — in that order, as Ansible's
// systemd_service does.
type systemdModule struct{}

func init() { Register(systemdModule{}) }

var systemdStates = []string{"started", "stopped", "restarted", "reloaded"}

func (systemdModule) Spec() *Spec {
	return &Spec{
		Name:  "systemd",
		Short: "Manage systemd units: install, enable, mask, start, stop, restart",
		Doc: `Manages a systemd unit on the host through systemctl. Steps run in this order:
install the unit file (unit_content or unit_src), daemon-reload (when asked, or when
the unit file changed), mask/unmask, enable/disable, then the state. started and
stopped change only what differs; restarted always restarts; reloaded reloads a
running unit and starts a stopped one.

Check mode reads the unit's real state and predicts every step. A unit that does
not exist fails with "could not find the requested unit" — except in check mode
when this task or an earlier task of the run would have installed its unit file:
then the task reports what it would do (changed), as a real run would.`,
		Params: []Param{
			{Name: "name", Type: TypeString, Aliases: []string{"service", "unit"}, Doc: `Unit name; ".service" is added when it has no suffix. Required unless only daemon_reload is asked.`},
			{Name: "state", Type: TypeString, Choices: systemdStates, Doc: "started/stopped are idempotent; restarted and reloaded always act."},
			{Name: "enabled", Type: TypeBool, Doc: "Whether the unit starts at boot."},
			{Name: "masked", Type: TypeBool, Doc: "Whether the unit is masked (cannot be started at all)."},
			{Name: "daemon_reload", Type: TypeBool, Default: false, Aliases: []string{"daemon-reload"}, Doc: "Run systemctl daemon-reload before anything else (on its own it does not report changed)."},
			{Name: "unit_content", Type: TypeString, Doc: "Install this text as the unit file (in unit_dir); a change triggers daemon-reload."},
			{Name: "unit_src", Type: TypePath, Aliases: []string{"unit_file"}, Doc: "Install this controller file (relative to the playbook, then its files/ dir) as the unit file."},
			{Name: "unit_dir", Type: TypePath, Default: "/etc/systemd/system", Doc: "Where unit files are installed."},
			{Name: "no_block", Type: TypeBool, Default: false, Doc: "Do not wait for start/stop jobs to finish (systemctl --no-block)."},
		},
		Check: CheckFull,
		Returns: []Return{
			{Name: "name", Type: TypeString, Doc: "The unit name."},
			{Name: "state", Type: TypeString, Doc: "The requested state."},
			{Name: "enabled", Type: TypeBool, Doc: "Whether the unit is enabled afterwards (predicted in check mode)."},
			{Name: "status", Type: TypeMap, Doc: "systemctl show properties: ActiveState, SubState, LoadState, UnitFileState, MainPID, …"},
			{Name: "unit_path", Type: TypeString, Doc: "The installed unit file, when unit_content or unit_src was given."},
		},
		Example: `- name: install and start the registry
  systemd:
    name: registry
    unit_content: |
      [Unit]
      Description=registry
      [Service]
      ExecStart=/usr/bin/docker-registry serve /etc/registry/config.yml
      [Install]
      WantedBy=multi-user.target
    enabled: true
    state: started`,
		Validate: func(a Args) error {
			if a.String("name") == "" && (a.Has("state") || a.Has("enabled") || a.Has("masked") || a.Has("unit_content") || a.Has("unit_src")) {
				return fmt.Errorf("name is required with state, enabled, masked or a unit file")
			}
			if a.Has("unit_content") && a.Has("unit_src") {
				return fmt.Errorf("unit_content and unit_src are mutually exclusive")
			}
			if a.String("name") == "" && !a.Bool("daemon_reload") {
				return fmt.Errorf("nothing to do: give name (with state, enabled or masked) or daemon_reload")
			}
			return nil
		},
	}
}

// unitName adds ".service" to a name without a unit suffix.
func unitName(n string) string {
	if n == "" || strings.Contains(path.Base(n), ".") && !strings.HasSuffix(n, ".") {
		return n
	}
	return n + ".service"
}

// systemdRun is one Run of the module: what it did, for the result.
type systemdRun struct {
	ctx     context.Context
	mc      *Context
	unit    string
	changed bool
	done    []string // what changed, in words, for msg
	diff    []Diff   // the unit file's content, with --diff
}

func (s *systemdRun) systemctl(args ...string) (*transport.Result, error) {
	res, err := s.mc.Conn.Run(s.ctx, &transport.Cmd{Args: append([]string{"systemctl"}, args...), Become: s.mc.Become, Env: s.mc.Env})
	if err != nil {
		return nil, fmt.Errorf("systemctl %s: %w", strings.Join(args, " "), err)
	}
	return res, nil
}

// act runs a changing systemctl command (skipped in check mode).
func (s *systemdRun) act(what string, args ...string) error {
	s.changed = true
	s.done = append(s.done, what)
	if s.mc.Check {
		return nil
	}
	res, err := s.systemctl(args...)
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("%s %s on %s failed (exit %d): %s", what, s.unit, s.mc.Host, res.ExitCode, strings.TrimSpace(string(res.Stderr)))
	}
	return nil
}

// show reads the unit's properties.
func (s *systemdRun) show() (map[string]any, error) {
	res, err := s.systemctl("show", s.unit, "--no-pager",
		"-p", "Id,LoadState,ActiveState,SubState,UnitFileState,MainPID,FragmentPath,Description,CanReload,Result")
	if err != nil {
		return nil, err
	}
	if res.ExitCode != 0 {
		return nil, fmt.Errorf("systemctl show %s on %s: exit %d: %s", s.unit, s.mc.Host, res.ExitCode, strings.TrimSpace(string(res.Stderr)))
	}
	status := map[string]any{}
	for _, line := range strings.Split(string(res.Stdout), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			status[k] = v
		}
	}
	return status, nil
}

func (systemdModule) Run(ctx context.Context, mc *Context, a Args) (*Result, error) {
	s := &systemdRun{ctx: ctx, mc: mc, unit: unitName(a.String("name"))}
	data := map[string]any{"name": s.unit}
	unitWillExist := false
	if a.Has("unit_content") || a.Has("unit_src") {
		p, changed, diff, err := installUnit(ctx, mc, a, s.unit)
		if err != nil {
			return nil, err
		}
		if changed && mc.Diff {
			s.diff = append(s.diff, diff)
		}
		data["unit_path"] = p
		unitWillExist = true
		if changed {
			s.changed = true
			s.done = append(s.done, "unit file installed")
			mc.Predicted.Add(p)
		}
	}
	if a.Bool("daemon_reload") || s.changed {
		if !mc.Check {
			if res, err := s.systemctl("daemon-reload"); err != nil {
				return nil, err
			} else if res.ExitCode != 0 {
				return nil, fmt.Errorf("daemon-reload on %s failed: %s", mc.Host, strings.TrimSpace(string(res.Stderr)))
			}
		}
	}
	if s.unit == "" {
		return &Result{Changed: s.changed, Data: data, Msg: "daemon reloaded", Diff: s.diff}, nil
	}
	status, err := s.show()
	if err != nil {
		return nil, err
	}
	if status["LoadState"] == "not-found" {
		predicted := mc.Check && (unitWillExist || unitPredicted(mc, a.String("unit_dir"), s.unit))
		if !predicted {
			return nil, fmt.Errorf("could not find the requested unit %s on %s (install it first, e.g. with unit_content)", s.unit, mc.Host)
		}
		return s.predictMissingUnit(a, data)
	}
	if err := s.converge(a, status); err != nil {
		return nil, err
	}
	if s.changed && !mc.Check {
		if status, err = s.show(); err != nil {
			return nil, err
		}
	}
	data["status"] = status
	data["enabled"] = isEnabled(fmt.Sprint(status["UnitFileState"]))
	if a.Has("enabled") && mc.Check {
		data["enabled"] = a.Bool("enabled")
	}
	if a.Has("state") {
		data["state"] = a.String("state")
	}
	return &Result{Changed: s.changed, Data: data, Msg: strings.Join(s.done, ", "), Diff: s.diff}, nil
}

// converge applies masked, enabled and state to an existing unit.
func (s *systemdRun) converge(a Args, status map[string]any) error {
	fileState := fmt.Sprint(status["UnitFileState"])
	if a.Has("masked") {
		masked := fileState == "masked" || fileState == "masked-runtime"
		switch {
		case a.Bool("masked") && !masked:
			if err := s.act("masked", "mask", s.unit); err != nil {
				return err
			}
			fileState = "masked"
		case !a.Bool("masked") && masked:
			if err := s.act("unmasked", "unmask", s.unit); err != nil {
				return err
			}
			fileState = "disabled"
		}
	}
	if a.Has("enabled") {
		if want := a.Bool("enabled"); want != isEnabled(fileState) {
			if fileState == "static" || fileState == "generated" || fileState == "transient" {
				return fmt.Errorf("unit %s on %s is %s: it cannot be enabled or disabled", s.unit, s.mc.Host, fileState)
			}
			verb := map[bool]string{true: "enable", false: "disable"}[want]
			if err := s.act(verb+"d", verb, s.unit); err != nil {
				return err
			}
		}
	}
	if !a.Has("state") {
		return nil
	}
	active := status["ActiveState"] == "active" || status["ActiveState"] == "activating" || status["ActiveState"] == "reloading"
	block := []string{}
	if a.Bool("no_block") {
		block = []string{"--no-block"}
	}
	switch a.String("state") {
	case "started":
		if !active {
			return s.act("started", append(block, "start", s.unit)...)
		}
	case "stopped":
		if active {
			return s.act("stopped", append(block, "stop", s.unit)...)
		}
	case "restarted":
		return s.act("restarted", append(block, "restart", s.unit)...)
	case "reloaded":
		if !active {
			return s.act("started", append(block, "start", s.unit)...)
		}
		return s.act("reloaded", append(block, "reload", s.unit)...)
	}
	return nil
}

// predictMissingUnit answers check mode for a unit whose file an earlier
// task (or this one) would have installed: everything asked would change.
func (s *systemdRun) predictMissingUnit(a Args, data map[string]any) (*Result, error) {
	if a.Bool("enabled") {
		s.changed, s.done = true, append(s.done, "enabled")
	}
	if a.Bool("masked") {
		s.changed, s.done = true, append(s.done, "masked")
	}
	switch a.String("state") {
	case "started", "restarted", "reloaded":
		s.changed, s.done = true, append(s.done, "started")
	}
	data["status"] = map[string]any{"LoadState": "not-found (would be installed by an earlier task)"}
	data["enabled"] = a.Bool("enabled")
	if a.Has("state") {
		data["state"] = a.String("state")
	}
	msg := "unit not installed yet (an earlier task would install it): would " + strings.Join(s.done, ", ")
	return &Result{Changed: s.changed, Data: data, Msg: msg, Diff: s.diff}, nil
}

// unitSearchDirs are the directories systemd loads system units from.
var unitSearchDirs = []string{"/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
	"/usr/lib/systemd/system", "/lib/systemd/system"}

// unitPredicted reports whether an earlier task of this check run would
// have written the unit's file in unitDir or where systemd looks for units.
func unitPredicted(mc *Context, unitDir, unit string) bool {
	for _, d := range append([]string{unitDir}, unitSearchDirs...) {
		if mc.Predicted.Has(path.Join(d, unit)) {
			return true
		}
	}
	return false
}

func isEnabled(unitFileState string) bool {
	switch unitFileState {
	case "enabled", "enabled-runtime", "alias", "indirect", "linked", "linked-runtime":
		return true
	}
	return false
}

// installUnit writes the unit file when its content differs; it returns
// the path, whether it changed (or would, in check mode) and the content's
// before/after.
func installUnit(ctx context.Context, mc *Context, a Args, unit string) (string, bool, Diff, error) {
	content := []byte(a.String("unit_content"))
	if a.Has("unit_src") {
		src, err := findLocal(mc, a.String("unit_src"), "files")
		if err != nil {
			return "", false, Diff{}, fmt.Errorf("systemd on %s: unit_src: %w", mc.Host, err)
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return "", false, Diff{}, fmt.Errorf("systemd on %s: unit_src: %w", mc.Host, err)
		}
		content = data
	}
	p := path.Join(a.String("unit_dir"), unit)
	var cur bytes.Buffer
	info, err := hostStat(ctx, mc, p)
	if err != nil {
		return "", false, Diff{}, fmt.Errorf("stat %s on %s: %w", p, mc.Host, err)
	}
	diff := Diff{BeforeHeader: diffHeader(mc.Host, p, "absent"), AfterHeader: diffHeader(mc.Host, p, "content")}
	if info.Exists {
		if err := hostRead(ctx, mc, p, &cur); err != nil {
			return "", false, Diff{}, fmt.Errorf("read %s on %s: %w", p, mc.Host, err)
		}
		if bytes.Equal(cur.Bytes(), content) {
			return p, false, Diff{}, nil
		}
		diff.BeforeHeader, diff.Before = diff.AfterHeader, unitDiffSide(cur.Bytes())
	}
	diff.After = unitDiffSide(content)
	if mc.Check {
		return p, true, diff, nil
	}
	opts := transport.KeepOwner()
	opts.Mode = 0o644
	opts.Become = mc.Become
	if err := mc.Conn.WriteFile(ctx, p, bytes.NewReader(content), opts); err != nil {
		return "", false, Diff{}, fmt.Errorf("install %s on %s: %w", p, mc.Host, err)
	}
	return p, true, diff, nil
}

// unitDiffSide is one side of a unit file's diff (binary or large content
// is not shown, as for copy).
func unitDiffSide(b []byte) string {
	sum := sha256.Sum256(b)
	out, _ := diffSide(int64(len(b)), hex.EncodeToString(sum[:]), func(w io.Writer) error { _, err := w.Write(b); return err })
	return out
}
