package ssh

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// maxSkippedLines bounds how many unparsable known_hosts lines are skipped
// before the file is refused as a whole (each one costs a re-parse).
const maxSkippedLines = 100

// knownHosts is a parsed known_hosts file.
type knownHosts struct {
	file string
	cb   gossh.HostKeyCallback
	// ca holds the numbers of @cert-authority lines: they vouch only for
	// host certificates, never for a plain key (as in OpenSSH).
	ca map[int]bool
}

// plain returns the entries of want that are plain host keys, naming the
// real file (a re-parse may have read a copy).
func (k *knownHosts) plain(want []knownhosts.KnownKey) []knownhosts.KnownKey {
	var out []knownhosts.KnownKey
	for _, w := range want {
		if !k.ca[w.Line] {
			w.Filename = k.file
			out = append(out, w)
		}
	}
	return out
}

// knownHostsParseMu makes concurrent connections parse a new version of
// the file once (and warn about its bad lines once).
var knownHostsParseMu sync.Mutex

// parseKnownHosts parses file as knownhosts.New does, except that, like
// OpenSSH, a line it cannot parse (an unknown key type, bad base64, a
// broken marker) is skipped with a warning instead of failing every host.
func parseKnownHosts(file string, warn func(format string, args ...any)) (*knownHosts, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		cb, err := knownhosts.New()
		return &knownHosts{file: file, cb: cb}, err
	}
	if err != nil {
		return nil, fmt.Errorf("known_hosts file %s: %w", file, err)
	}
	// Lines are numbered as knownhosts numbers them: split on '\n'.
	lines := bytes.Split(data, []byte{'\n'})
	kh := &knownHosts{file: file, ca: map[int]bool{}}
	skipped := 0
	for i, l := range lines {
		if len(l) >= bufio.MaxScanTokenSize {
			// knownhosts cannot read such a line, and fails the file.
			warn("runbook: WARNING: %s line %d skipped (as ssh does): longer than %d bytes", file, i+1, bufio.MaxScanTokenSize)
			lines[i] = nil
			skipped++
		} else if f := bytes.Fields(l); len(f) > 0 && string(f[0]) == "@cert-authority" {
			kh.ca[i+1] = true
		}
	}
	// Bad lines are blanked (keeping the numbering) in a private copy.
	src, tmp := file, ""
	defer func() {
		if tmp != "" {
			_ = os.Remove(tmp) // a private temporary copy: nothing to do if it lingers
		}
	}()
	useCopy := func() error {
		if tmp == "" {
			if tmp, err = tempCopyName(); err != nil {
				return fmt.Errorf("known_hosts file %s: skipping bad lines: %w", file, err)
			}
		}
		src = tmp
		return nil
	}
	if skipped > 0 {
		if err := useCopy(); err != nil {
			return nil, err
		}
	}
	for {
		if src != file {
			if err := os.WriteFile(src, bytes.Join(lines, []byte{'\n'}), 0o600); err != nil {
				return nil, fmt.Errorf("known_hosts file %s: skipping bad lines: %w", file, err)
			}
		}
		if kh.cb, err = knownhosts.New(src); err == nil {
			return kh, nil
		}
		n, reason := badLine(err, src)
		if n == 0 || n > len(lines) {
			return nil, fmt.Errorf("known_hosts file %s: %w", file, err)
		}
		if skipped++; skipped > maxSkippedLines {
			return nil, fmt.Errorf("known_hosts file %s: more than %d lines cannot be parsed: line %d: %s", file, maxSkippedLines, n, reason)
		}
		warn("runbook: WARNING: %s line %d skipped (as ssh does): %s", file, n, reason)
		lines[n-1] = nil
		if err := useCopy(); err != nil {
			return nil, err
		}
	}
}

// badLine returns the line number and reason of knownhosts' error for one
// line of file ("knownhosts: FILE:N: reason"); 0 if err is not one.
func badLine(err error, file string) (int, string) {
	rest, ok := strings.CutPrefix(err.Error(), "knownhosts: "+file+":")
	if !ok {
		return 0, ""
	}
	num, reason, _ := strings.Cut(rest, ": ")
	n, convErr := strconv.Atoi(num)
	if convErr != nil || n < 1 {
		return 0, ""
	}
	return n, strings.TrimPrefix(reason, "knownhosts: ")
}

// tempCopyName creates an empty private temporary file and returns its name.
func tempCopyName() (string, error) {
	f, err := os.CreateTemp("", "runbook-known_hosts-*")
	if err != nil {
		return "", err
	}
	return f.Name(), f.Close()
}
