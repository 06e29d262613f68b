package modules

import (
	"context"
	"fmt"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(getentModule{}) }

type getentModule struct{}

var getentSpec = &Spec{
	Name:  "getent",
	Short: "Read a name service database (passwd, group, hosts, services, ...) into facts",
	Doc: "Runs getent(1) on the host and sets the fact getent_DATABASE (also under ansible_facts): a mapping from " +
		"each entry's first field to the list of its other fields, as Ansible shapes it. Fields are split at " +
		"split, by default ':' for passwd, shadow, group and gshadow and white space for the others; a key " +
		"listed more than once maps to a list of such lists. A key that is not found fails the task unless " +
		"fail_key is false, which sets it to null instead. Never changes anything.",
	Params: []Param{
		{Name: "database", Type: TypeString, Required: true, Doc: "The database: passwd, group, hosts, services, shadow, ... (what getent(1) accepts)."},
		{Name: "key", Type: TypeString, Doc: "The entry to look up; without it the whole database is read."},
		{Name: "split", Type: TypeString, Doc: "The field separator (default ':' for passwd, shadow, group and gshadow, else white space)."},
		{Name: "fail_key", Type: TypeBool, Default: true, Doc: "Fail when key is not found; false sets the key to null instead."},
		{Name: "service", Type: TypeString, Doc: "Use this name service (getent -s), such as files."},
	},
	Check:        CheckFull,
	GathersFacts: true,
	Returns: []Return{
		{Name: "ansible_facts", Type: TypeMap, Doc: "getent_DATABASE: key → list of fields (or a list of lists for a key listed more than once)."},
	},
	Example: `- getent:
    database: passwd
    key: root

- debug:
    msg: "root's shell is {{ getent_passwd.root[5] }}"`,
}

func (getentModule) Spec() *Spec { return getentSpec }

// getentColon are the databases whose fields are split at ':' by default.
var getentColon = map[string]bool{"passwd": true, "shadow": true, "group": true, "gshadow": true}

func (getentModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	db := args.String("database")
	cmd := []string{"getent"}
	if args.Has("service") {
		cmd = append(cmd, "-s", args.String("service"))
	}
	cmd = append(cmd, "--", db)
	if args.Has("key") {
		cmd = append(cmd, args.String("key"))
	}
	res, err := mc.Conn.Run(ctx, &transport.Cmd{Args: cmd, Become: mc.Become})
	if err != nil {
		return nil, fmt.Errorf("getent on %s: %w", mc.Host, err)
	}
	entries := map[string]any{}
	facts := map[string]any{"getent_" + db: entries}
	switch res.ExitCode {
	case 0:
	case 1:
		return &Result{Failed: true, Msg: "Missing arguments, or database unknown."}, nil
	case 2:
		msg := "One or more supplied key could not be found in the database."
		if args.Bool("fail_key") {
			return &Result{Failed: true, Msg: msg}, nil
		}
		entries[args.String("key")] = nil
		return &Result{Msg: msg, Facts: facts, Data: map[string]any{"ansible_facts": facts}}, nil
	case 3:
		return &Result{Failed: true, Msg: "Enumeration not supported on this database."}, nil
	default:
		return &Result{Failed: true, Msg: fmt.Sprintf("getent on %s: %s", mc.Host, textStderr(res))}, nil
	}
	sep, ws := args.String("split"), false
	if !args.Has("split") {
		sep, ws = ":", !getentColon[db]
	}
	seen := map[string]int{}
	out := strings.TrimSuffix(string(res.Stdout), "\n")
	for _, line := range strings.Split(out, "\n") {
		var rec []string
		if ws {
			rec = strings.Fields(line) // Python's str.split()
		} else if out != "" {
			rec = strings.Split(line, sep)
		}
		if len(rec) == 0 {
			continue // a blank line splits into nothing
		}
		k, fields := rec[0], getentList(rec[1:])
		switch seen[k] {
		case 0:
			entries[k] = fields
		case 1:
			entries[k] = []any{entries[k], fields}
		default:
			entries[k] = append(entries[k].([]any), fields)
		}
		seen[k]++
	}
	return &Result{Facts: facts, Data: map[string]any{"ansible_facts": facts}}, nil
}

func getentList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
