package modules

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/runbook-dev/runbook/internal/pyre"
)

func init() { Register(replaceModule{}) }

type replaceModule struct{}

var replaceSpec = &Spec{
	Name:  "replace",
	Short: "Replace every match of a regular expression in a text file",
	Doc: "Replaces all matches of regexp in a text file on the host, as Ansible's replace module does (Python's " +
		"re.subn with MULTILINE: ^ and $ match at every line). replace may refer to regexp's groups as \\1, \\g<1> " +
		"or \\g<name>, with Python's escapes; a $ in it is plain text. after limits the replacement to the text " +
		"after its first match, before to the text before its last match, both to the text between the first match " +
		"of after and the next match of before (matched across lines); when they do not match, nothing changes. The file must exist. Regular expressions are Go's RE2 syntax (no " +
		"lookaround or backreferences inside the pattern). The file is read and written on the host (atomically, " +
		"keeping its mode and owner; symbolic links followed). Check mode predicts exactly; --diff shows the change.",
	Params: []Param{
		{Name: "path", Type: TypePath, Required: true, Aliases: []string{"dest", "destfile", "name"},
			Doc: "The file to edit on the host: absolute, or starting with ~/."},
		{Name: "regexp", Type: TypeString, Required: true,
			Doc: "The regular expression to look for (multiline: ^ and $ match at line boundaries)."},
		{Name: "replace", Type: TypeString, Default: "",
			Doc: "What each match becomes; \\1, \\g<1>, \\g<name> refer to regexp's groups. Empty removes the matches."},
		{Name: "after", Type: TypeString,
			Doc: "Only replace in the text after the first match of this regular expression."},
		{Name: "before", Type: TypeString,
			Doc: "Only replace in the text before the last match of this regular expression."},
		{Name: "encoding", Type: TypeString, Default: "utf-8", Choices: []string{"utf-8", "utf8", "UTF-8"},
			Doc: "The file's encoding; only UTF-8 is supported."},
		textParamBackup, textParamMode, textParamOwner, textParamGroup, paramValidate,
	},
	Check: CheckFull,
	Returns: []Return{
		{Name: "msg", Type: TypeString, Doc: "\"N replacements made\", or \"\" when nothing changed; \" and ownership, perms or SE linux context changed\" is appended when mode/owner changed."},
		{Name: "backup_file", Type: TypeString, Doc: "Path of the backup copy, \"\" when none was made."},
		{Name: "rc", Type: TypeInt, Doc: "0, or 257 when the file does not exist."},
	},
	Example: `- name: Point every upstream at the new registry
  replace:
    path: /etc/containerd/config.toml
    regexp: '(endpoint = \["https://)[^"]+(")'
    replace: '\g<1>sea.hub:5000\2'
    backup: true`,
}

func (replaceModule) Spec() *Spec { return replaceSpec }

func (replaceModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	re, err := textRegexp("replace", "regexp", "(?m)"+args.String("regexp"))
	if err != nil {
		return nil, err
	}
	section, err := replaceSection(args)
	if err != nil {
		return nil, err
	}
	p, err := textHostPath(ctx, mc, "replace", args.String("path"))
	if err != nil {
		return nil, err
	}
	tf, err := readTextFile(ctx, mc, "replace", p)
	if err != nil {
		return nil, err
	}
	if !tf.Exists {
		return &Result{Failed: true, Msg: fmt.Sprintf("Path %s does not exist !", p), Data: map[string]any{"rc": 257, "backup_file": ""}}, nil
	}
	contents := string(tf.Data)
	lo, hi := 0, len(contents)
	if section != nil {
		m := section.FindStringSubmatchIndex(contents)
		if m == nil {
			return &Result{Msg: "Pattern for before/after params did not match the given file: " + strings.TrimPrefix(section.String(), "(?s)"),
				Data: map[string]any{"rc": 0, "backup_file": ""}}, nil
		}
		g := section.SubexpIndex("subsection")
		lo, hi = m[2*g], m[2*g+1]
	}
	replaced, n, err := pyre.Subn(re, contents[lo:hi], args.String("replace"))
	if err != nil {
		return nil, &ArgError{Module: "replace", Param: "replace", Msg: err.Error()}
	}
	ch := textChange{module: "replace", file: tf, backupKey: "backup_file", data: map[string]any{"rc": 0}}
	if n > 0 && replaced != contents[lo:hi] {
		ch.after = []byte(contents[:lo] + replaced + contents[hi:])
		ch.changed, ch.msg = true, fmt.Sprintf("%d replacements made", n)
	} else {
		ch.after = tf.Data
	}
	return finishText(ctx, mc, args, ch)
}

// replaceSection compiles the after/before pattern as Ansible builds it:
// after(?P<subsection>.*?)before, matched with DOTALL.
func replaceSection(args Args) (*regexp.Regexp, error) {
	after, before := args.String("after"), args.String("before")
	var pattern string
	switch {
	case after != "" && before != "":
		pattern = after + "(?P<subsection>.*?)" + before
	case after != "":
		pattern = after + "(?P<subsection>.*)"
	case before != "":
		pattern = "(?P<subsection>.*)" + before
	default:
		return nil, nil
	}
	return textRegexp("replace", "after/before", "(?s)"+pattern)
}
