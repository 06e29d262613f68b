package runner

import "github.com/runbook-dev/runbook/runner/playbook"

// TagsSelected applies --tags and --skip-tags to a task's effective tags
// (its own plus those inherited from plays, blocks and imports), following
// Ansible: "always" runs unless skipped by name, "never" runs only when one
// of its tags is asked for, and "tagged", "untagged" and "all" are special.
func TagsSelected(taskTags, only, skip []string) bool {
	has := func(t string) bool {
		for _, x := range taskTags {
			if x == t {
				return true
			}
		}
		return false
	}
	for _, s := range skip {
		switch {
		case s == "all":
			return false
		case s == "tagged" && len(taskTags) > 0:
			return false
		case s == "untagged" && len(taskTags) == 0:
			return false
		case has(s):
			return false
		}
	}
	if has("always") {
		return true
	}
	if len(only) == 0 {
		return !has("never")
	}
	for _, o := range only {
		switch {
		case o == "all":
			if !has("never") {
				return true
			}
		case o == "tagged":
			if len(taskTags) > 0 && !has("never") {
				return true
			}
		case o == "untagged":
			if len(taskTags) == 0 {
				return true
			}
		case has(o):
			return true
		}
	}
	return false
}

// selected applies --tags and --skip-tags to task t in scope sc. A handler
// (and whatever it runs) is not filtered at all: ansible-core 2.14 runs a
// notified handler whatever its tags and whatever --tags or --skip-tags
// say, so a selected configuration change never loses its restart.
func (e *engine) selected(sc *scope, t *playbook.Task) bool {
	if sc.handler {
		return true
	}
	tags := append(append([]string{}, sc.tags...), t.Tags...)
	return TagsSelected(tags, e.opt.Tags, e.opt.SkipTags)
}
