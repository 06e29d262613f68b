package runner

import (
	"fmt"
	"strings"

	"github.com/runbook-dev/runbook/internal/exitcode"
	"github.com/runbook-dev/runbook/inventory"
	"github.com/runbook-dev/runbook/runner/playbook"
)

// MissingVarError is returned, before anything runs, when a play's
// required_vars names a variable that is not set (or set to ""). It is a
// usage error: the command line lacks something.
type MissingVarError struct {
	Play string
	Var  playbook.RequiredVar
}

// ExitCode is exitcode.Usage: the command line lacks a variable.
func (e *MissingVarError) ExitCode() int { return exitcode.Usage }

func (e *MissingVarError) Error() string {
	help := ""
	if e.Var.Help != "" {
		help = " (" + e.Var.Help + ")"
	}
	play := fmt.Sprintf("play %q", e.Play)
	if e.Play == "" {
		play = "this playbook"
	}
	return fmt.Sprintf("%s: %s needs the variable %q%s: give it with -e %s=VALUE",
		e.Var.Pos, play, e.Var.Name, help, e.Var.Name)
}

// CheckRequiredVars returns a *MissingVarError for the first required
// variable of any play that neither the extra vars, the play's vars nor the
// inventory's group "all" set to a non-empty value. Run calls it before the
// first play; commands that only list (--list-hosts) may call it too.
func CheckRequiredVars(pb *playbook.Playbook, inv *inventory.Inventory, extra map[string]any) error {
	var all map[string]any
	if inv != nil {
		if g, ok := inv.Group("all"); ok {
			all = g.Vars
		}
	}
	return checkRequiredVars(pb, all, extra)
}

// checkRequiredVars is CheckRequiredVars with the variables of group "all"
// already merged (the run adds its group_vars/all files).
func checkRequiredVars(pb *playbook.Playbook, all, extra map[string]any) error {
	for _, play := range pb.Plays {
		for _, rv := range play.RequiredVars {
			if !setNonEmpty(extra, rv.Name) && !setNonEmpty(play.Vars, rv.Name) && !setNonEmpty(all, rv.Name) {
				return &MissingVarError{Play: play.Name, Var: rv}
			}
		}
	}
	return nil
}

func setNonEmpty(vars map[string]any, name string) bool {
	v, ok := vars[name]
	if !ok || v == nil {
		return false
	}
	if s, isStr := v.(string); isStr && strings.TrimSpace(s) == "" {
		return false
	}
	return true
}
