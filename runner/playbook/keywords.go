package playbook

// The keyword lists below are what the parser accepts; tools that describe
// playbooks (the JSON Schema behind `runbook schema`, editor support) read
// them from here so that they never drift from the parser.

// importPlaybookKeywords are the keys of a `- import_playbook: FILE` entry.
var importPlaybookKeywords = []string{"import_playbook", "name", "vars", "tags", "when"}

// loopControlKeywords are the keys of a task's loop_control.
var loopControlKeywords = []string{"loop_var", "index_var", "label", "extended", "extended_allitems"}

// PlayKeywords returns the keys a play may hold, in the parser's order.
func PlayKeywords() []string { return clone(playKeywords) }

// TaskKeywords returns the keys a task may hold besides its module: the
// task keywords proper and the actions block, rescue, always,
// include_tasks, import_tasks and meta. listen is among them although only
// handlers may use it.
func TaskKeywords() []string { return append(clone(taskKeywords), extraTaskKeywords...) }

// ImportPlaybookKeywords returns the keys of a `- import_playbook: FILE`
// entry between plays.
func ImportPlaybookKeywords() []string { return clone(importPlaybookKeywords) }

// LoopControlKeywords returns the keys of a task's loop_control.
func LoopControlKeywords() []string { return clone(loopControlKeywords) }

func clone(s []string) []string { return append([]string(nil), s...) }

// magicVars are the variables the runner sets for every task; they win over
// registered results, so a task may not register under one of these names.
var magicVars = []string{
	"ansible_check_mode", "ansible_config_file", "ansible_diff_mode", "ansible_forks", "ansible_play_batch",
	"ansible_play_hosts", "ansible_play_name", "ansible_play_role_names", "ansible_role_names", "ansible_run_tags",
	"ansible_skip_tags", "ansible_verbosity", "ansible_version", "group_names", "groups", "hostvars",
	"inventory_dir", "inventory_file", "inventory_hostname", "inventory_hostname_short", "omit",
	"play_hosts", "playbook_dir",
}
