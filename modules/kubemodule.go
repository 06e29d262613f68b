package modules

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"

	"github.com/runbook-dev/runbook/transport"
)

// kubeModule is the implementation configmap and secret share: get, apply,
// delete and dump of one named object.
type kubeModule struct {
	name   string
	obj    kubeObject
	secret bool // values are masked in diffs, output and registered results
}

var kubeActions = []string{"apply", "get", "delete", "dump"}

func (k kubeModule) spec(short, doc, example string, extra ...Param) *Spec {
	defMode := "0644"
	if k.secret {
		defMode = "0600"
	}
	params := []Param{
		{Name: "name", Type: TypeString, Required: true, Doc: "Name of the " + k.obj.kind() + "."},
		{Name: "namespace", Type: TypeString, Default: "kube-system", Doc: "Namespace."},
		{Name: "action", Type: TypeString, Default: "apply", Choices: kubeActions, Doc: "apply: create or update from data/files; get: read it into the registered result; delete; dump: write each key to a file on the host."},
		{Name: "data", Type: TypeMap, NoLog: k.secret, Doc: "Keys and values (values are turned into strings)."},
		{Name: "from_files", Type: TypeMap, Doc: "Keys whose values are read from files on the controller (relative to the playbook, then its files/ dir)."},
		{Name: "from_host_files", Type: TypeMap, Doc: "Keys whose values are read from files on the host the task runs for."},
		{Name: "labels", Type: TypeMap, Doc: "Labels to set (existing other labels are kept)."},
		{Name: "merge", Type: TypeBool, Default: false, Doc: "apply: keep keys that are in the object but not given (default: the object ends up with exactly the given keys)."},
		{Name: "dest_dir", Type: TypePath, Doc: "dump: the directory on the host to write the keys into (created if missing)."},
		{Name: "keys", Type: TypeList, Doc: "dump: only these keys (default all)."},
		{Name: "mode", Type: TypeMode, Default: defMode, Doc: "dump: mode of the written files."},
	}
	params = append(append(params, extra...), kubeParams...)
	return &Spec{
		Name: k.name, Short: short, Doc: doc, Params: params, Check: CheckFull, Example: example,
		Returns: []Return{
			{Name: "exists", Type: TypeBool, Doc: "Whether the object exists (before a delete, after an apply)."},
			{Name: "data", Type: TypeMap, Doc: "get: the object's keys and values."},
			{Name: "keys", Type: TypeList, Doc: "The object's keys after the task (changed keys for apply)."},
			{Name: "via", Type: TypeString, Doc: "The host the API was reached through."},
			{Name: "files", Type: TypeList, Doc: "dump: the files written."},
		},
		Validate: func(a Args) error {
			switch a.String("action") {
			case "dump":
				if a.String("dest_dir") == "" {
					return fmt.Errorf("action dump needs dest_dir")
				}
			case "apply":
				if !a.Has("data") && !a.Has("from_files") && !a.Has("from_host_files") {
					return fmt.Errorf("action apply needs data, from_files or from_host_files")
				}
			}
			return nil
		},
	}
}

func (k kubeModule) run(ctx context.Context, mc *Context, a Args) (*Result, error) {
	ns, name := a.String("namespace"), a.String("name")
	what := fmt.Sprintf("%s %s/%s", k.obj.kind(), ns, name)
	var desired map[string][]byte
	if a.String("action") == "apply" {
		var err error
		if desired, err = k.desiredData(ctx, mc, a); err != nil {
			return nil, err
		}
	}
	client, err := newKubeClient(ctx, mc, a)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	data, labels, found, err := k.obj.get(ctx, client.cs, ns, name)
	if err != nil {
		return nil, fmt.Errorf("get %s via %s: %w", what, client.via, err)
	}
	res := &Result{Data: map[string]any{"exists": found, "via": client.via}}
	switch a.String("action") {
	case "get":
		res.Data["data"], res.Data["keys"] = k.publicData(data), sortedKeys(data)
	case "delete":
		if found {
			res.Changed = true
			if err := k.obj.remove(ctx, client.cs, ns, name, mc.Check); err != nil {
				return nil, fmt.Errorf("delete %s via %s: %w", what, client.via, err)
			}
			res.Diff = []Diff{{BeforeHeader: what, AfterHeader: what + " (deleted)", Before: renderKubeData(data, nil, k.secret)}}
		}
	case "apply":
		want := desired
		if a.Bool("merge") {
			want = mergeData(data, desired)
		}
		wantLabels := stringMap(a.Map("labels"))
		if found && dataEqual(data, want) && labelsCovered(labels, wantLabels) {
			res.Data["keys"] = sortedKeys(data)
			break
		}
		// In check mode this is a server-side dry run: the API server
		// validates the change, nothing is stored.
		if err := k.obj.put(ctx, client.cs, ns, name, want, wantLabels, found, mc.Check); err != nil {
			return nil, fmt.Errorf("apply %s via %s: %w", what, client.via, err)
		}
		res.Changed, res.Data["exists"], res.Data["keys"] = true, true, changedKeys(data, want)
		res.Diff = []Diff{{BeforeHeader: what, AfterHeader: what, Before: renderKubeData(data, want, k.secret), After: renderKubeData(want, data, k.secret)}}
	case "dump":
		if !found {
			return nil, fmt.Errorf("dump %s: it does not exist (via %s)", what, client.via)
		}
		if err := k.dump(ctx, mc, a, data, res); err != nil {
			return nil, err
		}
	}
	if k.secret {
		for _, v := range data {
			res.Secrets = append(res.Secrets, string(v))
		}
		for _, v := range desired {
			res.Secrets = append(res.Secrets, string(v))
		}
	}
	return res, nil
}

// publicData is the registered form of data: strings. A Secret's values
// are registered too (playbooks need them) but declared secret, so the
// engine masks them wherever they would be shown.
func (k kubeModule) publicData(data map[string][]byte) map[string]any {
	out := make(map[string]any, len(data))
	for key, v := range data {
		out[key] = string(v)
	}
	return out
}

// desiredData gathers data, from_files and from_host_files.
func (k kubeModule) desiredData(ctx context.Context, mc *Context, a Args) (map[string][]byte, error) {
	out := map[string][]byte{}
	for key, v := range a.Map("data") {
		if v == nil {
			v = ""
		}
		switch x := v.(type) {
		case string:
			out[key] = []byte(x)
		default:
			out[key] = []byte(fmt.Sprint(x))
		}
	}
	for key, v := range a.Map("from_files") {
		p, err := findLocal(mc, fmt.Sprint(v), "files")
		if err != nil {
			return nil, fmt.Errorf("from_files %s: %w", key, err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("from_files %s: %w", key, err)
		}
		out[key] = b
	}
	for key, v := range a.Map("from_host_files") {
		var buf bytes.Buffer
		if err := hostRead(ctx, mc, fmt.Sprint(v), &buf); err != nil {
			return nil, fmt.Errorf("from_host_files %s: %s on %s: %w", key, v, mc.Host, err)
		}
		out[key] = buf.Bytes()
	}
	return out, nil
}

// dump writes each key to a file in dest_dir on the host, atomically, only
// when its content differs.
func (k kubeModule) dump(ctx context.Context, mc *Context, a Args, data map[string][]byte, res *Result) error {
	dir := a.String("dest_dir")
	keys := a.StringList("keys")
	if len(keys) == 0 {
		keys = sortedStrings(data)
	}
	mode, err := parseMode(a.String("mode"), 0o644, false)
	if err != nil {
		return err
	}
	var files []any
	for _, key := range keys {
		v, ok := data[key]
		if !ok {
			return fmt.Errorf("dump: key %q is not in the %s (it has %v)", key, k.obj.kind(), sortedKeys(data))
		}
		p := path.Join(dir, key)
		files = append(files, p)
		same, err := hostFileSame(ctx, mc, p, v, fs.FileMode(mode))
		if err != nil {
			return err
		}
		if same {
			continue
		}
		res.Changed = true
		mc.Predicted.Add(p)
		if mc.Check {
			continue
		}
		if err := ensureHostDir(ctx, mc, dir); err != nil {
			return err
		}
		opts := transport.KeepOwner()
		opts.Mode, opts.Become = fs.FileMode(mode), mc.Become
		if err := mc.Conn.WriteFile(ctx, p, bytes.NewReader(v), opts); err != nil {
			return fmt.Errorf("dump: write %s on %s: %w", p, mc.Host, err)
		}
	}
	res.Data["files"] = files
	return nil
}

// hostFileSame reports whether p on the host already has content and mode.
func hostFileSame(ctx context.Context, mc *Context, p string, content []byte, mode fs.FileMode) (bool, error) {
	info, err := hostStat(ctx, mc, p)
	if err != nil {
		return false, fmt.Errorf("stat %s on %s: %w", p, mc.Host, err)
	}
	if !info.Exists || info.Size != int64(len(content)) || info.Mode.Perm() != mode.Perm() {
		return false, nil
	}
	sum, err := hostChecksum(ctx, mc, p)
	if err != nil {
		return false, fmt.Errorf("checksum %s on %s: %w", p, mc.Host, err)
	}
	h := sha256.Sum256(content)
	return sum == hex.EncodeToString(h[:]), nil
}

func ensureHostDir(ctx context.Context, mc *Context, dir string) error {
	res, err := mc.Conn.Run(ctx, &transport.Cmd{Args: []string{"mkdir", "-p", "--", dir}, Become: mc.Become})
	if err != nil {
		return fmt.Errorf("mkdir %s on %s: %w", dir, mc.Host, err)
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("mkdir %s on %s: %s", dir, mc.Host, bytes.TrimSpace(res.Stderr))
	}
	return nil
}

func mergeData(cur, want map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(cur)+len(want))
	for k, v := range cur {
		out[k] = v
	}
	for k, v := range want {
		out[k] = v
	}
	return out
}

func changedKeys(before, after map[string][]byte) []any {
	var out []any
	for _, k := range sortedStrings(mergeData(before, after)) {
		if string(before[k]) != string(after[k]) || (before[k] == nil) != (after[k] == nil) {
			out = append(out, k)
		}
	}
	return out
}

func sortedStrings(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedKeys(m map[string][]byte) []any {
	keys := sortedStrings(m)
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = k
	}
	return out
}

func stringMap(m map[string]any) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}
