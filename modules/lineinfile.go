package modules

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/runbook-dev/runbook/internal/pyre"
)

func init() { Register(lineinfileModule{}) }

type lineinfileModule struct{}

var lineinfileSpec = &Spec{
	Name:  "lineinfile",
	Short: "Ensure a line is in a text file, or is not",
	Doc: "Edits one line of a text file on the host, with Ansible's rules. state=present: the last line matching " +
		"regexp (or containing search_string) is replaced by line (the first with firstmatch); without a match the " +
		"line is added after the last line matching insertafter (or before insertbefore), else at the end, unless " +
		"the exact line is already somewhere in the file, and with backrefs nothing is added at all. state=absent " +
		"removes every matching line. Lines are compared without their line ending; a line written always ends " +
		"with \\n, and a file whose last line has no newline gets one before a line is appended or inserted after it (ansible-core glues the new line onto it). " +
		"Regular expressions are Go's RE2 syntax (no lookaround or backreferences inside the pattern); in line, " +
		"backrefs expand \\1 and \\g<name> as in Python. The file is read and written on the host (atomically, " +
		"keeping its mode and owner) and symbolic links are followed. Check mode predicts exactly; --diff shows the change.",
	Params: []Param{
		{Name: "path", Type: TypePath, Required: true, Aliases: []string{"dest", "destfile", "name"},
			Doc: "The file to edit on the host: absolute, or starting with ~/."},
		{Name: "regexp", Type: TypeString, Aliases: []string{"regex"},
			Doc: "Regular expression searched in every line. state=present replaces the last matching line; state=absent removes all matching lines."},
		{Name: "search_string", Type: TypeString,
			Doc: "A literal string searched in every line, instead of regexp."},
		{Name: "line", Type: TypeString, Aliases: []string{"value"},
			Doc: "The line to insert or replace with (required with state=present). With backrefs, \\1 or \\g<name> refer to regexp's groups."},
		{Name: "state", Type: TypeString, Default: "present", Choices: []string{"present", "absent"},
			Doc: "Whether the line should be there."},
		{Name: "insertafter", Type: TypeString,
			Doc: "Without a match for regexp/search_string, insert after the last line matching this regular expression (the first with firstmatch); EOF means the end of the file. No match inserts at the end."},
		{Name: "insertbefore", Type: TypeString,
			Doc: "Like insertafter but before the matching line; BOF means the beginning of the file. No match inserts at the end."},
		{Name: "backrefs", Type: TypeBool, Default: false,
			Doc: "Expand regexp's groups in line; when regexp matches nothing the file is left unchanged (insertafter/insertbefore are ignored)."},
		{Name: "firstmatch", Type: TypeBool, Default: false,
			Doc: "Use the first matching line for regexp, search_string, insertafter and insertbefore instead of the last."},
		textParamCreate, textParamBackup, textParamMode, textParamOwner, textParamGroup, fileParamAttributes, paramValidate,
	},
	Check: CheckFull,
	Returns: []Return{
		{Name: "msg", Type: TypeString, Doc: "\"line added\", \"line replaced\", \"N line(s) removed\", \"file not present\", or \"\" when nothing changed; \" and ownership, perms or SE linux context changed\" is appended when mode/owner changed."},
		{Name: "backup", Type: TypeString, Doc: "Path of the backup copy, \"\" when none was made."},
		{Name: "found", Type: TypeInt, Doc: "state=absent: how many lines matched."},
	},
	Example: `- name: Listen on all addresses
  lineinfile:
    path: /etc/ssh/sshd_config
    regexp: '^#?ListenAddress '
    line: ListenAddress 0.0.0.0

- name: Keep the port, change the address
  lineinfile:
    path: /etc/app.conf
    regexp: '^bind=[^:]*:(\d+)$'
    line: 'bind=10.0.0.1:\1'
    backrefs: true`,
	Validate: func(a Args) error {
		switch {
		case a.Has("regexp") && a.Has("search_string"):
			return errors.New("parameters are mutually exclusive: regexp|search_string")
		case a.Has("insertafter") && a.Has("insertbefore"):
			return errors.New("parameters are mutually exclusive: insertafter|insertbefore")
		case a.Bool("backrefs") && !a.Has("regexp"):
			return errors.New("regexp is required with backrefs=true")
		case a.String("state") == "present" && !a.Has("line"):
			return errors.New("line is required with state=present")
		case a.String("state") == "absent" && !a.Has("regexp") && !a.Has("search_string") && !a.Has("line"):
			return errors.New("one of line, search_string, or regexp is required with state=absent")
		}
		return nil
	},
}

func (lineinfileModule) Spec() *Spec { return lineinfileSpec }

func (lineinfileModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	var re *regexp.Regexp
	if args.Has("regexp") {
		var err error
		if re, err = textRegexp("lineinfile", "regexp", args.String("regexp")); err != nil {
			return nil, err
		}
	}
	p, err := textHostPath(ctx, mc, "lineinfile", args.String("path"))
	if err != nil {
		return nil, err
	}
	tf, err := readTextFile(ctx, mc, "lineinfile", p)
	if err != nil {
		return nil, err
	}
	ch := textChange{module: "lineinfile", file: tf, backupKey: "backup"}
	lines := textLines(tf.Data)
	if args.String("state") == "absent" {
		if !tf.Exists {
			return &Result{Msg: "file not present", Data: map[string]any{"backup": "", "found": 0}}, nil
		}
		kept, found := lineinfileAbsent(lines, re, args)
		ch.after, ch.changed = []byte(strings.Join(kept, "")), found > 0
		ch.data = map[string]any{"found": found}
		if found > 0 {
			ch.msg = fmt.Sprintf("%d line(s) removed", found)
		}
		return finishText(ctx, mc, args, ch)
	}
	if !tf.Exists && !args.Bool("create") {
		return &Result{Failed: true, Msg: fmt.Sprintf("Destination %s does not exist on %s (set create: true to create it)", p, mc.Host),
			Data: map[string]any{"rc": 257}}, nil
	}
	ins, err := textInsertRegexp("lineinfile", args)
	if err != nil {
		return nil, err
	}
	out, msg, err := lineinfilePresent(lines, re, ins, args)
	if err != nil {
		return nil, err
	}
	ch.after, ch.msg, ch.changed = []byte(strings.Join(out, "")), msg, msg != "" || !tf.Exists
	return finishText(ctx, mc, args, ch)
}

// lineinfileAbsent drops the lines that match and counts them.
func lineinfileAbsent(lines []string, re *regexp.Regexp, args Args) ([]string, int) {
	search, line := args.String("search_string"), args.String("line")
	kept, found := make([]string, 0, len(lines)), 0
	for _, l := range lines {
		var match bool
		switch {
		case re != nil:
			match = re.MatchString(strings.TrimSuffix(l, "\n"))
		case args.Has("search_string"):
			match = strings.Contains(l, search)
		default:
			match = strings.TrimRight(l, "\r\n") == line
		}
		if match {
			found++
		} else {
			kept = append(kept, l)
		}
	}
	return kept, found
}

// lineinfilePresent is Ansible's present(): it returns the new lines and
// "line added", "line replaced" or "" (no change).
func lineinfilePresent(lines []string, re, ins *regexp.Regexp, args Args) ([]string, string, error) {
	line, firstmatch := args.String("line"), args.Bool("firstmatch")
	after, before := args.String("insertafter"), args.String("insertbefore")
	hasAfter, hasBefore := args.Has("insertafter"), args.Has("insertbefore")
	found, insAt := -1, -1 // the matching line; where to insert
	var groups []int
	if re != nil || args.Has("search_string") {
		for i, l := range lines {
			text := strings.TrimSuffix(l, "\n")
			if re != nil {
				if m := re.FindStringSubmatchIndex(text); m != nil {
					found, groups = i, m
				}
			} else if strings.Contains(l, args.String("search_string")) {
				found = i
			}
			if found == i && firstmatch {
				break
			}
		}
	}
	if found < 0 {
		// No match: look for the exact line and for the insertion point.
		for i, l := range lines {
			if strings.TrimRight(l, "\r\n") == line {
				found = i
			} else if ins != nil && ins.MatchString(strings.TrimSuffix(l, "\n")) {
				if insAt = i; hasAfter {
					insAt = i + 1
				}
				if firstmatch {
					break
				}
			}
		}
	}
	add := func(at int, l []string) []string {
		return append(l[:at], append([]string{line + "\n"}, l[at:]...)...)
	}
	switch {
	case found >= 0:
		newLine := line
		if args.Bool("backrefs") && groups != nil {
			var err error
			text := strings.TrimSuffix(lines[found], "\n")
			if newLine, err = pyre.Expand(re, line, text, groups); err != nil {
				return nil, "", &ArgError{Module: "lineinfile", Param: "line", Msg: err.Error()}
			}
		}
		if !strings.HasSuffix(newLine, "\n") {
			newLine += "\n"
		}
		if lines[found] == newLine {
			return lines, "", nil
		}
		lines[found] = newLine
		return lines, "line replaced", nil
	case args.Bool("backrefs"):
		return lines, "", nil // without a match there is nothing to expand
	case hasBefore && before == "BOF", hasAfter && after == "BOF":
		return add(0, lines), "line added", nil
	case hasAfter && after == "EOF", insAt < 0:
		if n := len(lines); n > 0 && !strings.HasSuffix(lines[n-1], "\n") && !strings.HasSuffix(lines[n-1], "\r") {
			lines = append(lines, "\n")
		}
		return append(lines, line+"\n"), "line added", nil
	case hasAfter:
		// Ansible does not insert the line where it is already (which
		// firstmatch can leave unseen by the search above).
		if n := len(lines); insAt == n {
			if strings.TrimRight(lines[n-1], "\r\n") == line {
				return lines, "", nil
			}
			// insertafter matched the last line: make sure it ends its line.
			if !strings.HasSuffix(lines[n-1], "\n") && !strings.HasSuffix(lines[n-1], "\r") {
				lines[n-1] += "\n"
			}
			return append(lines, line+"\n"), "line added", nil
		}
		if strings.TrimRight(lines[insAt], "\r\n") == line {
			return lines, "", nil
		}
		return add(insAt, lines), "line added", nil
	default:
		return add(insAt, lines), "line added", nil
	}
}

// textRegexp compiles a regular expression given as a parameter.
func textRegexp(module, param, expr string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, &ArgError{Module: module, Param: param, Msg: fmt.Sprintf("invalid regular expression (Go RE2 syntax): %v", err)}
	}
	return re, nil
}

// textInsertRegexp compiles insertafter or insertbefore, whichever is given,
// unless it is EOF or BOF.
func textInsertRegexp(module string, args Args) (*regexp.Regexp, error) {
	for _, k := range []string{"insertafter", "insertbefore"} {
		if v := args.String(k); args.Has(k) && v != "EOF" && v != "BOF" {
			return textRegexp(module, k, v)
		}
	}
	return nil, nil
}
