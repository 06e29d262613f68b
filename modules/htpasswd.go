package modules

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

func init() { Register(htpasswdModule{}) }

type htpasswdModule struct{}

var htpasswdSpec = &Spec{
	Name:  "htpasswd",
	Short: "Manage a user's bcrypt password in an htpasswd file",
	Doc: "Adds, updates or removes NAME:HASH lines in an htpasswd file (the basic-auth file of a distribution " +
		"registry; sealer keeps it in <rootfs>/etc/registry_htpasswd). Hashes are bcrypt ($2a$, as sealer writes " +
		"them; $2y$ and $2b$ lines from Apache's htpasswd are read too). An existing line is kept as it is when its " +
		"hash verifies against password, so a second run changes nothing even though bcrypt salts every hash; a " +
		"line that does not verify (another password, another scheme) is replaced in place, and later duplicate " +
		"lines for the same name are removed. Other lines are kept byte for byte. A created file gets mode 0640 " +
		"unless mode says otherwise. Neither the password nor any hash appears in the result or in --diff (hash " +
		"fields are masked there). Check mode predicts exactly.",
	Params: []Param{
		{Name: "path", Type: TypePath, Required: true, Aliases: []string{"dest"}, Doc: "The htpasswd file on the host."},
		{Name: "name", Type: TypeString, Required: true, Aliases: []string{"username", "user"}, Doc: "The user name."},
		{Name: "password", Type: TypeString, NoLog: true, Doc: "The password (required with state=present; at most 72 bytes, bcrypt's limit)."},
		{Name: "state", Type: TypeString, Default: "present", Choices: []string{"present", "absent"}, Doc: "present sets the user's password; absent removes the user."},
		{Name: "crypt", Type: TypeString, Default: "bcrypt", Choices: []string{"bcrypt"}, Aliases: []string{"crypt_scheme", "hash_scheme"}, Doc: "The hash scheme; only bcrypt, which the registry accepts."},
		{Name: "cost", Type: TypeInt, Default: bcrypt.DefaultCost, Doc: "bcrypt cost of a new hash (4 to 31); existing hashes that verify are kept whatever their cost."},
		{Name: "create", Type: TypeBool, Default: true, Doc: "Create the file (and its parent directories) when missing; false makes a missing file an error."},
		{Name: "mode", Type: TypeMode, Doc: "Permissions of the file (default 0640 for a created file; an existing file keeps its mode unless given)."},
		textParamOwner,
		textParamGroup,
	},
	Check: CheckFull,
	Returns: []Return{
		{Name: "path", Type: TypePath, Doc: "The htpasswd file."},
		{Name: "name", Type: TypeString, Doc: "The user."},
	},
	Example: `- name: Registry basic auth
  htpasswd:
    path: "{{ rootfs }}/etc/registry_htpasswd"
    name: "{{ registry_username }}"
    password: "{{ registry_password }}"`,
	Validate: func(a Args) error {
		if n := a.String("name"); n == "" || strings.ContainsAny(n, ":\r\n") {
			return fmt.Errorf("name: %q must be non-empty without ':' or newlines", n)
		}
		if a.String("state") == "present" {
			if !a.Has("password") {
				return errors.New("password is required with state=present")
			}
			if len(a.String("password")) > 72 {
				return errors.New("password: longer than 72 bytes, which bcrypt cannot hash")
			}
		}
		if c := a.Int("cost"); c < bcrypt.MinCost || c > bcrypt.MaxCost {
			return fmt.Errorf("cost: %d is not between %d and %d", c, bcrypt.MinCost, bcrypt.MaxCost)
		}
		return checkModeSyntax(a, false)
	},
}

func (htpasswdModule) Spec() *Spec { return htpasswdSpec }

// htpasswdUser returns the user of an htpasswd line ("" for none).
func htpasswdUser(line string) string {
	u, _, ok := strings.Cut(strings.TrimRight(line, "\r\n"), ":")
	if !ok {
		return ""
	}
	return u
}

func (htpasswdModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	p, err := textHostPath(ctx, mc, "htpasswd", args.String("path"))
	if err != nil {
		return nil, err
	}
	tf, err := readTextFile(ctx, mc, "htpasswd", p)
	if err != nil {
		return nil, err
	}
	name := args.String("name")
	data := map[string]any{"path": p, "name": name}
	if !tf.Exists && (args.String("state") == "absent" || !args.Bool("create")) {
		if args.String("state") == "absent" {
			return &Result{Msg: "file not present", Data: data}, nil
		}
		return nil, fmt.Errorf("htpasswd: %s does not exist on %s (create: false)", p, mc.Host)
	}
	var out []string
	replaced := map[int]bool{} // indexes in out of lines with a new hash
	found, msg := false, ""
	for _, l := range textLines(tf.Data) {
		if htpasswdUser(l) != name {
			out = append(out, l)
			continue
		}
		switch {
		case args.String("state") == "absent":
			msg = "user removed"
		case found: // a later duplicate
			if msg == "" {
				msg = "duplicate lines removed"
			}
		default:
			found = true
			_, hash, _ := strings.Cut(strings.TrimRight(l, "\r\n"), ":")
			if bcrypt.CompareHashAndPassword([]byte(hash), []byte(args.String("password"))) == nil {
				out = append(out, l)
				continue
			}
			line, err := htpasswdLine(name, args)
			if err != nil {
				return nil, err
			}
			replaced[len(out)] = true
			out, msg = append(out, line), "password updated"
		}
	}
	if args.String("state") == "present" && !found {
		line, err := htpasswdLine(name, args)
		if err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && !strings.HasSuffix(out[n-1], "\n") {
			out[n-1] += "\n"
		}
		replaced[len(out)] = true
		out, msg = append(out, line), "user added"
	}
	after := strings.Join(out, "")
	a := args
	if !tf.Exists && !args.Has("mode") {
		a = Args{}
		for k, v := range args {
			a[k] = v
		}
		a["mode"] = "0640"
	}
	quiet := *mc
	quiet.Diff = false // finishText's diff would show hashes
	r, err := finishText(ctx, &quiet, a, textChange{module: "htpasswd", file: tf, after: []byte(after),
		changed: !tf.Exists || after != string(tf.Data), msg: msg, data: data})
	if err != nil {
		return nil, err
	}
	if mc.Diff && (!tf.Exists || after != string(tf.Data)) {
		h := mc.Host + ":" + tf.Path + " (content, hashes hidden)"
		r.Diff = append(r.Diff, Diff{BeforeHeader: h, AfterHeader: h,
			Before: htpasswdMask(textLines(tf.Data), nil), After: htpasswdMask(out, replaced)})
	}
	return r, nil
}

func htpasswdLine(name string, args Args) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(args.String("password")), args.Int("cost"))
	if err != nil {
		return "", errors.New("htpasswd: hashing the password failed") // never quote the password
	}
	return name + ":" + string(h) + "\n", nil
}

// htpasswdMask replaces the hash field of every line; lines in fresh say so.
func htpasswdMask(lines []string, fresh map[int]bool) string {
	var b strings.Builder
	for i, l := range lines {
		u := htpasswdUser(l)
		switch {
		case u == "" && !strings.Contains(l, ":"):
			b.WriteString(l)
		case fresh[i]:
			b.WriteString(u + ":(new hash hidden)\n")
		default:
			b.WriteString(u + ":(hash hidden)\n")
		}
	}
	return b.String()
}
