package runner

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/runbook-dev/runbook/runner/playbook"
)

// stdinIsTerminal reports whether vars_prompt can ask on standard input.
func stdinIsTerminal() bool { return term.IsTerminal(int(os.Stdin.Fd())) }

// checkVarsPrompt refuses, before anything runs, a vars_prompt variable
// that nobody can answer: not given with -e, no default, and no terminal to
// ask on (a CI job, a pipe).
func checkVarsPrompt(pb *playbook.Playbook, extra map[string]any, tty bool) error {
	if tty {
		return nil
	}
	for _, play := range pb.Plays {
		for _, vp := range play.VarsPrompt {
			if _, given := extra[vp.Name]; given || vp.Default != nil {
				continue
			}
			return &playbook.Error{Pos: vp.Pos, Msg: fmt.Sprintf(
				"play %s: vars_prompt %q needs an answer, and standard input is not a terminal to ask on: "+
					"give it with -e %s=VALUE (or add default: to the prompt)", quotePlay(play.Name), vp.Name, vp.Name)}
		}
	}
	return nil
}

func quotePlay(name string) string {
	if name == "" {
		return "(unnamed)"
	}
	return fmt.Sprintf("%q", name)
}

// promptVars returns the play's variables with its vars_prompt answers: -e
// wins (no question asked, as in Ansible), then the terminal's answer, then
// the default (also for an empty answer). A private answer is never shown.
func (e *engine) promptVars(play *playbook.Play, vars map[string]any) (map[string]any, error) {
	if len(play.VarsPrompt) == 0 {
		return vars, nil
	}
	out := copyMap(vars)
	tty := stdinIsTerminal()
	var in *bufio.Reader
	for _, vp := range play.VarsPrompt {
		if _, given := e.opt.ExtraVars[vp.Name]; given {
			continue
		}
		var answer any = vp.Default
		if tty {
			s, err := askTerminal(&in, vp)
			if err != nil {
				return nil, fmt.Errorf("%s: vars_prompt %q: %w", vp.Pos, vp.Name, err)
			}
			if s != "" || answer == nil {
				answer = s
				if vp.Private {
					e.opt.Redactor.Add(s) // typed unseen: a secret
				}
			}
		}
		if answer == nil {
			return nil, checkVarsPrompt(&playbook.Playbook{Plays: []*playbook.Play{{Name: play.Name, VarsPrompt: []playbook.VarsPrompt{vp}}}}, nil, false)
		}
		out[vp.Name] = answer
	}
	return out, nil
}

// askTerminal asks vp's question on standard error and reads the answer
// from the terminal on standard input, without echo when private.
func askTerminal(in **bufio.Reader, vp playbook.VarsPrompt) (string, error) {
	q := vp.Prompt
	if q == "" {
		q = vp.Name
	}
	if vp.Default != nil {
		q += fmt.Sprintf(" [%v]", vp.Default)
	}
	if *in == nil {
		*in = bufio.NewReader(os.Stdin)
	}
	if vp.Private {
		// Echo goes off before the question is shown: an answer typed the
		// moment the prompt appears must not be echoed (term.ReadPassword
		// turns echo off only after the prompt, a race a loaded machine loses).
		restore, err := echoOff(int(os.Stdin.Fd()))
		if err != nil {
			return "", fmt.Errorf("turning terminal echo off: %w", err)
		}
		defer fmt.Fprintln(os.Stderr)
		defer restore()
	}
	fmt.Fprintf(os.Stderr, "%s: ", q)
	s, err := (*in).ReadString('\n')
	if err != nil && s == "" {
		return "", err
	}
	return strings.TrimRight(s, "\r\n"), nil
}
