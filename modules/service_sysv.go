package modules

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/internal/shellwords"
	"github.com/runbook-dev/runbook/transport"
)

// The service module on hosts without systemd: OpenRC and SysV init
// scripts, following the choices Ansible's generic service module makes.

// initService is one run of the service module on a non-systemd host.
type initService struct {
	ctx       context.Context
	mc        *Context
	name      string
	extra     []string // the arguments parameter, split into words
	tools     *serviceTools
	control   []string // the command before the action: [service NAME], [rc-service NAME] or [/etc/init.d/NAME]
	enableCmd string
	changed   bool
}

// failed is a failed result with Ansible's message.
func (s *initService) failed(format string, args ...any) *Result {
	return &Result{Failed: true, Msg: fmt.Sprintf(format, args...), Data: map[string]any{"name": s.name}}
}

func runInitService(ctx context.Context, mc *Context, a Args, tools *serviceTools) (*Result, error) {
	s := &initService{ctx: ctx, mc: mc, name: a.String("name"), tools: tools}
	extra, err := shellwords.Split(a.String("arguments"))
	if err != nil {
		return nil, fmt.Errorf("service %s on %s: arguments: %w", s.name, mc.Host, err)
	}
	s.extra = extra
	switch {
	case tools.bins["rc-service"] != "":
		s.control = []string{tools.bins["rc-service"], s.name}
		s.enableCmd = tools.bins["rc-update"]
	case tools.initscript != "":
		for _, b := range []string{"update-rc.d", "insserv", "chkconfig"} {
			if s.enableCmd = tools.bins[b]; s.enableCmd != "" {
				break
			}
		}
		if svc := tools.bins["service"]; svc != "" {
			s.control = []string{svc, s.name}
		} else {
			s.control = []string{tools.initscript}
		}
	}
	if s.control == nil || s.enableCmd == "" && tools.bins["rc-service"] == "" {
		return s.failed("Could not find the requested service %s: host", s.name), nil
	}
	data := map[string]any{"name": s.name}
	if a.Has("enabled") {
		if r, err := s.enable(a.Bool("enabled"), a.String("runlevel")); err != nil || r != nil {
			return r, err
		}
		data["enabled"] = a.Bool("enabled")
	}
	if !a.Has("state") {
		return &Result{Changed: s.changed, Data: data}, nil
	}
	state := a.String("state")
	var running, crashed bool
	var known bool
	if p := a.String("pattern"); p != "" {
		running, known, err = s.psFinds(p)
	} else {
		running, crashed, known, err = s.status()
	}
	if err != nil {
		return nil, err
	}
	if !known {
		return s.failed("failed determining service state, possible typo of service name?"), nil
	}
	data["state"] = "started"
	if state == "stopped" {
		data["state"] = "stopped"
	}
	action := ""
	switch {
	case state == "restarted":
		action = "restart"
	case state == "stopped" && running:
		action = "stop"
	case (state == "started" || state == "reloaded") && !running:
		action = "start"
	case state == "reloaded":
		action = "reload"
	}
	if action == "" {
		return &Result{Changed: s.changed, Data: data}, nil
	}
	if s.mc.Check {
		return &Result{Changed: true, Msg: "service state changed", Data: data}, nil
	}
	res, err := s.act(action, crashed, a.Int("sleep"))
	if err != nil {
		return nil, err
	}
	if res.ExitCode != 0 && !strings.Contains(string(res.Stderr), "Job is already running") {
		return s.failed("%s", cmdOutput(res.Stderr, res.Stdout)), nil
	}
	return &Result{Changed: true, Data: data}, nil
}

// serviceDetachScript runs "$@" with its output in temporary files, so a
// daemon an init script leaves behind holding stdout cannot keep the
// session open (Ansible daemonizes for the same reason); the output is
// passed on once the command is done.
const serviceDetachScript = `o=$(mktemp) && e=$(mktemp) || exit 125
"$@" </dev/null >"$o" 2>"$e"; rc=$?
cat "$o"; cat "$e" >&2; rm -f "$o" "$e"; exit $rc`

// run runs one init command as the become user; its exit status is the
// caller's to judge.
func (s *initService) run(detach bool, argv ...string) (*transport.Result, error) {
	if detach {
		argv = append([]string{"/bin/sh", "-c", serviceDetachScript, "runbook-service"}, argv...)
	}
	res, err := s.mc.Conn.Run(s.ctx, &transport.Cmd{Args: argv, Become: s.mc.Become, Env: s.mc.Env})
	if err != nil {
		return nil, fmt.Errorf("service %s on %s: %s: %w", s.name, s.mc.Host, strings.Join(argv, " "), err)
	}
	return res, nil
}

// command is the control command for action, with the arguments parameter.
func (s *initService) command(action string) []string {
	return append(append(slices.Clone(s.control), action), s.extra...)
}

// status asks the init system whether the service runs, reading the exit
// status and, for a one-line answer, its words as Ansible does. known is
// false when nothing can be told.
func (s *initService) status() (running, crashed, known bool, err error) {
	res, err := s.run(true, s.command("status")...)
	if err != nil {
		return false, false, false, err
	}
	out := string(res.Stdout)
	if strings.HasSuffix(s.control[0], "rc-service") {
		return strings.Contains(out, "started"), strings.Contains(string(res.Stderr), "crashed"), true, nil
	}
	switch res.ExitCode {
	case 1, 2, 3, 4, 69: // LSB: not running (or unknown, which Ansible counts as stopped)
		return false, false, true, nil
	}
	if strings.Count(out, "\n") <= 1 {
		clean := strings.ReplaceAll(strings.ToLower(out), strings.ToLower(s.name), "")
		switch {
		case strings.Contains(clean, "stop"):
			return false, false, true, nil
		case strings.Contains(clean, "run"):
			return !strings.Contains(clean, "not "), false, true, nil
		case strings.Contains(clean, "start") && !strings.Contains(clean, "not "):
			return true, false, true, nil
		}
		for _, dead := range []string{"could not access pid file", "is dead and pid file exists", "dead but subsys locked", "dead but pid file exists"} {
			if strings.Contains(clean, dead) {
				return false, false, true, nil
			}
		}
	}
	if res.ExitCode == 0 {
		return true, false, true, nil
	}
	if s.name == "iptables" && strings.Contains(out, "ACCEPT") {
		return true, false, true, nil
	}
	return false, false, false, nil
}

// psFinds looks for pattern in the process list (pattern: instead of a
// status command).
func (s *initService) psFinds(pattern string) (running, known bool, err error) {
	res, err := s.run(false, "ps", "auxww")
	if err != nil || res.ExitCode != 0 {
		return false, false, err
	}
	for _, line := range strings.Split(string(res.Stdout), "\n") {
		if strings.Contains(line, pattern) && !strings.Contains(line, "pattern=") {
			return true, true, nil
		}
	}
	return false, true, nil
}

// act runs action; a SysV restart is stop, sleep, start (not every script
// knows restart), while OpenRC restarts itself and zaps a crashed service
// before starting it.
func (s *initService) act(action string, crashed bool, sleep int) (*transport.Result, error) {
	openrc := strings.HasSuffix(s.control[0], "rc-service")
	if openrc && action == "start" && crashed {
		if _, err := s.run(true, append(slices.Clone(s.control), "zap")...); err != nil {
			return nil, err
		}
	}
	if action != "restart" || openrc {
		return s.run(true, s.command(action)...)
	}
	stop, err := s.run(true, s.command("stop")...)
	if err != nil {
		return nil, err
	}
	if !waitForSleep(s.ctx, time.Duration(sleep)*time.Second) {
		return nil, s.ctx.Err()
	}
	start, err := s.run(true, s.command("start")...)
	if err != nil {
		return nil, err
	}
	if stop.ExitCode != 0 && start.ExitCode == 0 {
		return start, nil
	}
	return &transport.Result{ExitCode: stop.ExitCode + start.ExitCode,
		Stdout: append(stop.Stdout, start.Stdout...), Stderr: append(stop.Stderr, start.Stderr...)}, nil
}
