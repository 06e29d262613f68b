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
func listPlaybook(w io.Writer, pb *playbook.Playbook, inv *inventory.Inventory, extra map[string]any, f *playFlags) error {
	fmt.Fprintf(w, "\nplaybook: %s\n", pb.Path)
	for i, play := range pb.Plays {
		fmt.Fprintf(w, "\n  play #%d (%s): %s\tTAGS: [%s]\n", i+1, play.Hosts, play.Name, strings.Join(play.Tags, ", "))
		if f.listHosts {
			pattern, hosts, err := runner.PlayHosts(inv, play, extra, f.limit)
			if err != nil {
				return withCode(exitInvalid, err)
			}
			fmt.Fprintf(w, "    pattern: ['%s']\n    hosts (%d):\n", pattern, len(hosts))
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
