package modules

import (
	"path"
	"strings"
)

// enable makes the service start at boot (or not) with the host's tool:
// rc-update, update-rc.d, insserv or chkconfig. It sets s.changed; in check
// mode it only reads. A failure comes back as a failed result.
func (s *initService) enable(want bool, runlevel string) (*Result, error) {
	if s.enableCmd == "" {
		return s.failed("cannot detect command to enable service %s, typo or init system potentially unknown", s.name), nil
	}
	var steps [][]string
	switch path.Base(s.enableCmd) {
	case "rc-update":
		enabled, err := s.inRunlevel(runlevel)
		if err != nil || enabled == want {
			return nil, err
		}
		steps = [][]string{{s.enableCmd, map[bool]string{true: "add", false: "delete"}[want], s.name, runlevel}}
	case "update-rc.d":
		if s.tools.startLinks == want {
			return nil, nil
		}
		if want && !s.tools.killLinks {
			steps = append(steps, []string{s.enableCmd, s.name, "defaults"})
		}
		steps = append(steps, []string{s.enableCmd, s.name, map[bool]string{true: "enable", false: "disable"}[want]})
	case "insserv":
		return s.insserv(want)
	case "chkconfig":
		return s.chkconfig(want)
	default:
		return s.failed("cannot detect command to enable service %s, typo or init system potentially unknown", s.name), nil
	}
	s.changed = true
	if s.mc.Check {
		return nil, nil
	}
	for _, argv := range steps {
		res, err := s.run(false, argv...)
		if err != nil {
			return nil, err
		}
		if res.ExitCode != 0 {
			return s.failed("Error when trying to %s %s: rc=%d %s", argv[len(argv)-1], s.name, res.ExitCode, cmdOutput(res.Stderr, res.Stdout)), nil
		}
	}
	return nil, nil
}

// cmdOutput is stderr, or stdout when stderr is empty, trimmed.
func cmdOutput(stderr, stdout []byte) string {
	if s := strings.TrimSpace(string(stderr)); s != "" {
		return s
	}
	return strings.TrimSpace(string(stdout))
}

// inRunlevel reads rc-update show: is the service in runlevel?
func (s *initService) inRunlevel(runlevel string) (bool, error) {
	res, err := s.run(false, s.enableCmd, "show")
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(string(res.Stdout), "\n") {
		name, levels, ok := strings.Cut(line, "|")
		if ok && strings.TrimSpace(name) == s.name {
			for _, l := range strings.Fields(levels) {
				if l == runlevel {
					return true, nil
				}
			}
			return false, nil
		}
	}
	return false, nil
}

// insserv asks insserv's dry run whether anything would change, then does it.
func (s *initService) insserv(want bool) (*Result, error) {
	dry := []string{s.enableCmd, "-n", "-v", s.name}
	word, real := "enable service", []string{s.enableCmd, s.name}
	if !want {
		dry = []string{s.enableCmd, "-n", "-r", "-v", s.name}
		word, real = "remove service", []string{s.enableCmd, "-r", s.name}
	}
	res, err := s.run(false, dry...)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(string(res.Stderr), word) {
		return nil, nil
	}
	s.changed = true
	if s.mc.Check {
		return nil, nil
	}
	if res, err = s.run(false, real...); err != nil {
		return nil, err
	}
	if res.ExitCode != 0 || len(res.Stderr) > 0 {
		return s.failed("Failed to %s %s. rc: %d, out: %s, err: %s", map[bool]string{true: "install", false: "remove"}[want],
			s.name, res.ExitCode, strings.TrimSpace(string(res.Stdout)), strings.TrimSpace(string(res.Stderr))), nil
	}
	return nil, nil
}

// chkconfig reads chkconfig --list (registering the script first when
// chkconfig asks for it, outside check mode) and switches runlevels 3 and 5.
func (s *initService) chkconfig(want bool) (*Result, error) {
	action := map[bool]string{true: "on", false: "off"}[want]
	res, err := s.run(false, s.enableCmd, "--list", s.name)
	if err != nil {
		return nil, err
	}
	if strings.Contains(string(res.Stderr), "chkconfig --add "+s.name) && !s.mc.Check {
		if _, err := s.run(false, s.enableCmd, "--add", s.name); err != nil {
			return nil, err
		}
		if res, err = s.run(false, s.enableCmd, "--list", s.name); err != nil {
			return nil, err
		}
	}
	out := string(res.Stdout)
	if !strings.Contains(out, s.name) && !s.mc.Check {
		return s.failed("service %s does not support chkconfig", s.name), nil
	}
	if strings.Contains(out, "3:"+action) && strings.Contains(out, "5:"+action) {
		return nil, nil
	}
	s.changed = true
	if s.mc.Check {
		return nil, nil
	}
	if res, err = s.run(false, s.enableCmd, s.name, action); err != nil {
		return nil, err
	}
	if res.ExitCode != 0 {
		return s.failed("Error when trying to %s %s: rc=%d %s", action, s.name, res.ExitCode, cmdOutput(res.Stderr, res.Stdout)), nil
	}
	return nil, nil
}
