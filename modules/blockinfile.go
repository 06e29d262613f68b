package modules

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

func init() { Register(blockinfileModule{}) }

type blockinfileModule struct{}

var blockinfileSpec = &Spec{
	Name:  "blockinfile",
	Short: "Insert, update or remove a block of lines between marker lines",
	Doc: "Keeps a block of text between two marker lines in a text file on the host, with Ansible's rules. " +
		"When both markers are found, the lines from the first marker to the second are replaced by the block " +
		"(or removed with state=absent or an empty block); otherwise the block is inserted after the last line " +
		"matching insertafter (default EOF) or before the last line matching insertbefore (BOF is the start), at the " +
		"end when the expression matches nothing. An expression starting with (?m) is searched in the whole file " +
		"instead of line by line. The block always ends with a newline, and the line before it gets one if it lacks it. " +
		"Marker lines are compared without their line ending. Unlike ansible-core, which then inserts a second block on every run, " +
		"an end marker lacking its newline or ending in CRLF is recognised; state=absent leaves a file without the block untouched " +
		"(Ansible adds a final newline) and on a missing file reports \"File PATH not present\" instead of failing. Regular expressions are Go's RE2 syntax. The file is read and " +
		"written on the host (atomically, keeping mode and owner; symbolic links followed). Check mode predicts exactly; --diff shows the change.",
	Params: []Param{
		{Name: "path", Type: TypePath, Required: true, Aliases: []string{"dest", "destfile", "name"},
			Doc: "The file to edit on the host: absolute, or starting with ~/."},
		{Name: "block", Type: TypeString, Default: "", Aliases: []string{"content"},
			Doc: "The text between the markers; an empty block removes the block and its markers."},
		{Name: "state", Type: TypeString, Default: "present", Choices: []string{"present", "absent"},
			Doc: "Whether the block should be there."},
		{Name: "marker", Type: TypeString, Default: "# {mark} ANSIBLE MANAGED BLOCK",
			Doc: "The marker line template; {mark} becomes marker_begin or marker_end. Use a comment syntax the file understands, and a distinct marker per block."},
		{Name: "marker_begin", Type: TypeString, Default: "BEGIN", Doc: "What {mark} becomes in the first marker line."},
		{Name: "marker_end", Type: TypeString, Default: "END", Doc: "What {mark} becomes in the last marker line."},
		{Name: "insertafter", Type: TypeString,
			Doc: "When the markers are not found, insert after the last line matching this regular expression; EOF (the default) is the end of the file."},
		{Name: "insertbefore", Type: TypeString,
			Doc: "When the markers are not found, insert before the last line matching this regular expression; BOF is the beginning of the file."},
		{Name: "append_newline", Type: TypeBool, Default: false,
			Doc: "When inserting, add a blank line after the block unless it is at the end of the file or a blank line already follows."},
		{Name: "prepend_newline", Type: TypeBool, Default: false,
			Doc: "When inserting, add a blank line before the block unless it is at the start of the file or a blank line already precedes."},
		textParamCreate, textParamBackup, textParamMode, textParamOwner, textParamGroup, fileParamAttributes, paramValidate,
	},
	Check: CheckFull,
	Returns: []Return{
		{Name: "msg", Type: TypeString, Doc: "\"Block inserted\", \"Block removed\", \"File created\", \"File PATH not present\" or \"\" (unchanged); \" and ownership, perms or SE linux context changed\" is appended when mode/owner changed."},
		{Name: "backup_file", Type: TypeString, Doc: "Path of the backup copy, \"\" when none was made."},
	},
	Example: `- name: Static addresses of the cluster
  blockinfile:
    path: /etc/hosts
    marker: "# {mark} cluster nodes"
    block: |
      10.0.0.11 node1
      10.0.0.12 node2`,
	Validate: func(a Args) error {
		if a.Has("insertafter") && a.Has("insertbefore") {
			return fmt.Errorf("parameters are mutually exclusive: insertafter|insertbefore")
		}
		return nil
	},
}

func (blockinfileModule) Spec() *Spec { return blockinfileSpec }

func (blockinfileModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	ins, err := textInsertRegexp("blockinfile", args)
	if err != nil {
		return nil, err
	}
	p, err := textHostPath(ctx, mc, "blockinfile", args.String("path"))
	if err != nil {
		return nil, err
	}
	tf, err := readTextFile(ctx, mc, "blockinfile", p)
	if err != nil {
		return nil, err
	}
	present := args.String("state") == "present"
	if !tf.Exists {
		if !present {
			return &Result{Msg: fmt.Sprintf("File %s not present", p), Data: map[string]any{"backup_file": ""}}, nil
		}
		if !args.Bool("create") {
			return &Result{Failed: true, Msg: fmt.Sprintf("Path %s does not exist on %s (set create: true to create it)", p, mc.Host),
				Data: map[string]any{"rc": 257}}, nil
		}
	}
	after := blockinfileEdit(tf.Data, ins, args)
	ch := textChange{module: "blockinfile", file: tf, after: []byte(after), backupKey: "backup_file"}
	switch {
	case tf.Exists && after == string(tf.Data):
	case !tf.Exists:
		ch.changed, ch.msg = true, "File created"
	case !present || args.String("block") == "":
		ch.changed, ch.msg = true, "Block removed"
	default:
		ch.changed, ch.msg = true, "Block inserted"
	}
	return finishText(ctx, mc, args, ch)
}

// blockinfileEdit returns the file's new content.
func blockinfileEdit(data []byte, ins *regexp.Regexp, args Args) string {
	marker := args.String("marker")
	begin := strings.ReplaceAll(marker, "{mark}", args.String("marker_begin"))
	end := strings.ReplaceAll(marker, "{mark}", args.String("marker_end"))
	block := args.String("block")
	present := args.String("state") == "present"
	var blockLines []string
	if present && block != "" {
		if !strings.HasSuffix(block, "\n") {
			block += "\n"
		}
		blockLines = append(append([]string{begin + "\n"}, textLines([]byte(block))...), end+"\n")
	}
	lines := textLines(data)
	n0, n1 := -1, -1
	for i, l := range lines {
		switch strings.TrimRight(l, "\r\n") {
		case begin:
			n0 = i
		case end:
			n1 = i
		}
	}
	at := 0
	switch {
	case n0 >= 0 && n1 >= 0:
		lo, hi := min(n0, n1), max(n0, n1)
		lines = append(lines[:lo], lines[hi+1:]...)
		at = lo
	case len(blockLines) == 0:
		return string(data) // nothing to remove, nothing to insert
	default:
		at = blockinfileInsertAt(data, lines, ins, args)
	}
	if at > 0 && !strings.HasSuffix(lines[at-1], "\n") {
		lines[at-1] += "\n"
	}
	if len(blockLines) > 0 && args.Bool("prepend_newline") && at > 0 && lines[at-1] != "\n" {
		lines = append(lines[:at], append([]string{"\n"}, lines[at:]...)...)
		at++
	}
	lines = append(lines[:at], append(blockLines, lines[at:]...)...)
	if next := at + len(blockLines); len(blockLines) > 0 && args.Bool("append_newline") && next < len(lines) && lines[next] != "\n" {
		lines = append(lines[:next], append([]string{"\n"}, lines[next:]...)...)
	}
	return strings.Join(lines, "")
}

// blockinfileMultiline recognises an expression that turns on (?m) first.
var blockinfileMultiline = regexp.MustCompile(`^\(\?[a-zA-Z]*m[a-zA-Z]*\)`)

// blockinfileInsertAt is where a block without markers goes.
func blockinfileInsertAt(data []byte, lines []string, ins *regexp.Regexp, args Args) int {
	after := args.Has("insertafter")
	switch {
	case ins == nil && args.String("insertbefore") == "BOF":
		return 0
	case ins == nil:
		return len(lines)
	case blockinfileMultiline.MatchString(ins.String()):
		m := ins.FindIndex(data)
		switch {
		case m == nil:
			return len(lines) // as Ansible would not, but like a line-wise miss
		case after:
			return strings.Count(string(data[:m[1]]), "\n")
		default:
			return strings.Count(string(data[:m[0]]), "\n")
		}
	}
	at := -1
	for i, l := range lines {
		if ins.MatchString(strings.TrimSuffix(l, "\n")) {
			at = i
		}
	}
	switch {
	case at < 0:
		return len(lines)
	case after:
		return at + 1
	}
	return at
}
