package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/runbook-dev/runbook/inventory"
	"github.com/runbook-dev/runbook/runner"
	"github.com/runbook-dev/runbook/runner/playbook"
)

// listPlaybook prints --list-hosts and/or --list-tasks in ansible-playbook's
// format.
func listPlaybook(w io.Writer, pb *playbook.Playbook, inv *inventory.Inventory, f *playFlags) error {
	fmt.Fprintf(w, "\nplaybook: %s\n", pb.Path)
	for i, play := range pb.Plays {
		fmt.Fprintf(w, "\n  play #%d (%s): %s\tTAGS: [%s]\n", i+1, play.Hosts, play.Name, strings.Join(play.Tags, ", "))
		if f.listHosts {
			hosts, err := inv.Select(play.Hosts)
			if err != nil {
				return withCode(exitInvalid, fmt.Errorf("%s: hosts %q: %w", play.Pos, play.Hosts, err))
			}
			if f.limit != "" {
				lim, err := inv.Select(f.limit)
				if err != nil {
					return withCode(exitUsage, fmt.Errorf("--limit %q: %w", f.limit, err))
				}
				hosts = keepIn(hosts, lim)
			}
			fmt.Fprintf(w, "    pattern: ['%s']\n    hosts (%d):\n", play.Hosts, len(hosts))
			for _, h := range hosts {
				fmt.Fprintf(w, "      %s\n", h)
			}
		}
		if f.listTasks {
			fmt.Fprintln(w, "    tasks:")
			for _, section := range [][]*playbook.Task{play.PreTasks, play.Tasks, play.PostTasks} {
				listTasks(w, section, play.Tags, f)
			}
		}
	}
	return nil
}

func listTasks(w io.Writer, tasks []*playbook.Task, inherited []string, f *playFlags) {
	for _, t := range tasks {
		tags := append(append([]string{}, inherited...), t.Tags...)
		if t.IsBlock() {
			listTasks(w, t.Block, tags, f)
			listTasks(w, t.Rescue, tags, f)
			listTasks(w, t.Always, tags, f)
			continue
		}
		if !runner.TagsSelected(tags, f.tags, f.skipTags) {
			continue
		}
		uniq := map[string]bool{}
		var show []string
		for _, tg := range tags {
			if !uniq[tg] {
				uniq[tg] = true
				show = append(show, tg)
			}
		}
		sort.Strings(show)
		fmt.Fprintf(w, "      %s\tTAGS: [%s]\n", t.DisplayName(), strings.Join(show, ", "))
	}
}

func keepIn(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if in[x] {
			out = append(out, x)
		}
	}
	return out
}
