package eval

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// The password lookup: a random password, stored in a controller file so
// that the next run gives the same one (/dev/null: a new one each time).
// Generated passwords are secrets: OnSecret's subscribers (the run's
// redactor) receive each one.

// passwordParams are the password lookup's parameters (in the term as
// key=value, or as keyword options).
var passwordParams = []string{"length", "chars", "encrypt", "ident", "seed"}

// passwordCharsets are the names Python's string module gives character
// sets, which chars= may use.
var passwordCharsets = map[string]string{
	"ascii_letters":   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
	"ascii_lowercase": "abcdefghijklmnopqrstuvwxyz",
	"ascii_uppercase": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
	"digits":          "0123456789",
	"hexdigits":       "0123456789abcdefABCDEF",
	"octdigits":       "01234567",
	"punctuation":     "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
}

// passwordMu serialises reading and creating password files: the hosts of
// a play evaluate the same lookup at once, and must get one password.
var passwordMu sync.Mutex

func lookupPassword(lc *lookupCall) ([]any, error) {
	return lc.eachTerm(func(term string) ([]any, error) {
		rel, params, err := passwordTerm(term, lc.opts)
		if err != nil {
			return nil, err
		}
		p := rel
		if !filepath.IsAbs(p) {
			p = filepath.Join(baseDir(lc.vars), p)
		}
		pw, err := storedPassword(p, params)
		if err != nil {
			return nil, err
		}
		reportSecret(pw)
		return []any{pw}, nil
	})
}

// passwordTerm splits "path key=value …" and merges the keyword options
// (the term's own parameters win).
func passwordTerm(term string, opts map[string]any) (string, map[string]any, error) {
	params := map[string]any{}
	for k, v := range opts {
		params[k] = v
	}
	fields := strings.Fields(term)
	if len(fields) == 0 {
		return "", nil, fmt.Errorf("a password lookup needs a file path (or /dev/null)")
	}
	i := 1 // the path is what comes before the first key=value (it may hold spaces)
	for i < len(fields) && !strings.Contains(fields[i], "=") {
		i++
	}
	path := strings.Join(fields[:i], " ")
	for _, f := range fields[i:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return "", nil, fmt.Errorf("unrecognized value %q after key=value parameters", f)
		}
		if !slices.Contains(passwordParams, k) {
			return "", nil, fmt.Errorf("unrecognized parameter %q (it takes %s)", k, strings.Join(passwordParams, ", "))
		}
		params[k] = v
	}
	for _, k := range []string{"encrypt", "ident", "seed"} {
		if v, ok := params[k]; ok && v != nil {
			return "", nil, fmt.Errorf("%s= is not supported: runbook keeps plain passwords (hash one with a module that takes it, e.g. user's password with the hash computed on the host)", k)
		}
	}
	return path, params, nil
}

// storedPassword reads the password stored at p (without a " salt=…"
// suffix Ansible may have written), or generates one and stores it, mode
// 0600 in a directory made 0700, as Ansible does.
func storedPassword(p string, params map[string]any) (string, error) {
	passwordMu.Lock()
	defer passwordMu.Unlock()
	if p != os.DevNull {
		if data, err := os.ReadFile(p); err == nil {
			s := strings.TrimRightFunc(string(data), func(r rune) bool { return r == '\n' || r == '\r' || r == ' ' || r == '\t' })
			if i := strings.LastIndex(s, " salt="); i >= 0 {
				s = s[:i]
			}
			return s, nil
		} else if !os.IsNotExist(err) {
			return "", fmt.Errorf("reading %s: %w", p, err)
		}
	}
	length := 20
	if v, ok := params["length"]; ok {
		n, err := strconv.Atoi(str(v))
		if err != nil || n < 1 || n > 4096 {
			return "", fmt.Errorf("length must be a whole number from 1 to 4096, got %v", v)
		}
		length = n
	}
	chars, err := passwordChars(params["chars"])
	if err != nil {
		return "", err
	}
	pw, err := randomPassword(length, chars)
	if err != nil {
		return "", err
	}
	if p == os.DevNull {
		return pw, nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return "", fmt.Errorf("storing the password: %w", err)
	}
	if err := writeFileAtomic(p, []byte(pw+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("storing the password: %w", err)
	}
	return pw, nil
}

// passwordChars gives the candidate characters: chars is a list (or a
// comma-separated string, ",," for a comma) of charset names or literal
// characters; quotes are dropped, as Ansible does.
func passwordChars(v any) (string, error) {
	var specs []string
	switch x := v.(type) {
	case nil:
		specs = []string{"ascii_letters", "digits", ".,:-_"}
	case string:
		if strings.Contains(x, ",,") {
			specs = append(specs, ",")
		}
		for _, s := range strings.Split(strings.ReplaceAll(x, ",,", ","), ",") {
			if s != "" {
				specs = append(specs, s)
			}
		}
	case []any:
		for _, e := range x {
			specs = append(specs, str(e))
		}
	default:
		return "", fmt.Errorf("chars must be a list of character set names or characters, got %s", typeName(v))
	}
	var b strings.Builder
	for _, s := range specs {
		if set, ok := passwordCharsets[s]; ok {
			s = set
		}
		b.WriteString(s)
	}
	chars := strings.NewReplacer(`"`, "", "'", "").Replace(b.String())
	if chars == "" {
		return "", fmt.Errorf("chars gives no characters to choose from")
	}
	return chars, nil
}

func randomPassword(length int, chars string) (string, error) {
	runes := []rune(chars)
	out := make([]rune, length)
	for i := range out {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(runes))))
		if err != nil {
			return "", err
		}
		out[i] = runes[n.Int64()]
	}
	return string(out), nil
}

// writeFileAtomic writes a controller file through a temporary file in the
// same directory, renamed into place.
func writeFileAtomic(p string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), p)
}

// secretSinks receive the secrets lookups generate.
var secretSinks struct {
	sync.Mutex
	next  int
	sinks map[int]func(...string)
}

// OnSecret makes fn receive every secret value a lookup generates (the
// password lookup's passwords), so that output masks them, until the
// returned stop is called. A run's redactor subscribes for the run.
func OnSecret(fn func(values ...string)) (stop func()) {
	secretSinks.Lock()
	defer secretSinks.Unlock()
	if secretSinks.sinks == nil {
		secretSinks.sinks = map[int]func(...string){}
	}
	id := secretSinks.next
	secretSinks.next++
	secretSinks.sinks[id] = fn
	return func() {
		secretSinks.Lock()
		defer secretSinks.Unlock()
		delete(secretSinks.sinks, id)
	}
}

func reportSecret(s string) {
	secretSinks.Lock()
	defer secretSinks.Unlock()
	for _, fn := range secretSinks.sinks {
		fn(s)
	}
}
