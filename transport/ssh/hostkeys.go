package ssh

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// knownHostsMu serialises every known_hosts append in this process; a
// flock on the file serialises them with other processes.
var knownHostsMu sync.Mutex

// HostKeyError is a failed host key verification. Dial returns it wrapped
// in a transport.UnreachableError.
type HostKeyError struct {
	Host    string // inventory name
	Addr    string // host:port that was dialled
	Unknown bool   // the host is not in the known_hosts file
	Changed bool   // the host is known with a different key
	msg     string
	err     error // the cause, when the check itself failed
}

func (e *HostKeyError) Error() string { return e.msg }

func (e *HostKeyError) Unwrap() error { return e.err }

// hostKeyPolicy verifies (and maybe records) server host keys.
type hostKeyPolicy struct {
	file      string
	acceptNew bool
	insecure  bool
	logf      func(format string, args ...any)
}

func newHostKeyPolicy(cfg Config, logf func(string, ...any)) (*hostKeyPolicy, error) {
	file := cfg.KnownHostsFile
	if file == "" {
		home, err := userHomeDir()
		if err != nil {
			return nil, fmt.Errorf("known_hosts: no home directory: %w", err)
		}
		file = filepath.Join(home, ".ssh", "known_hosts")
	}
	return &hostKeyPolicy{file: file, acceptNew: cfg.AcceptNewHostKeys,
		insecure: cfg.InsecureSkipHostKeyCheck, logf: logf}, nil
}

func (p *hostKeyPolicy) callback(ep *endpoint) gossh.HostKeyCallback {
	if p.insecure {
		return gossh.InsecureIgnoreHostKey()
	}
	return func(hostname string, remote net.Addr, key gossh.PublicKey) error {
		return p.check(ep, hostname, remote, key)
	}
}

// load reads the known_hosts file afresh (a missing file is empty), so keys
// recorded by other connections are seen.
func (p *hostKeyPolicy) load() (*knownHosts, error) {
	st, err := os.Stat(p.file)
	if errors.Is(err, fs.ErrNotExist) {
		return parseKnownHosts(p.file, p.logf)
	}
	if err != nil {
		return nil, fmt.Errorf("known_hosts file %s: %w", p.file, err)
	}
	// Parsing known_hosts costs as much as the rest of a connect on a large
	// fleet (each of N hosts parsing N lines), so the parsed file is shared
	// while it is unchanged; an accept-new append changes its size.
	key := knownHostsKey{path: p.file, size: st.Size(), mtime: st.ModTime().UnixNano()}
	if kh, ok := knownHostsCache.Load(key); ok {
		return kh.(*knownHosts), nil
	}
	knownHostsParseMu.Lock()
	defer knownHostsParseMu.Unlock()
	if kh, ok := knownHostsCache.Load(key); ok {
		return kh.(*knownHosts), nil
	}
	kh, err := parseKnownHosts(p.file, p.logf)
	if err != nil {
		return nil, err
	}
	knownHostsCache.Store(key, kh)
	return kh, nil
}

// knownHostsKey identifies one version of a known_hosts file.
type knownHostsKey struct {
	path  string
	size  int64
	mtime int64
}

// knownHostsCache maps knownHostsKey to its *knownHosts (read-only, so
// safe to share between connections).
var knownHostsCache sync.Map

func (p *hostKeyPolicy) check(ep *endpoint, hostname string, remote net.Addr, key gossh.PublicKey) error {
	kh, err := p.load()
	if err != nil {
		return err
	}
	err = kh.cb(hostname, remote, key)
	if err == nil {
		return nil
	}
	var ke *knownhosts.KeyError
	if !errors.As(err, &ke) {
		return &HostKeyError{Host: ep.name, Addr: hostname, err: err,
			msg: fmt.Sprintf("host key verification failed for %s (%s): %v", ep.name, hostname, err)}
	}
	if want := kh.plain(ke.Want); len(want) > 0 {
		return p.changed(ep, hostname, key, want)
	}
	if !p.acceptNew {
		return &HostKeyError{Host: ep.name, Addr: hostname, Unknown: true, msg: fmt.Sprintf(
			"host key verification failed for %s (%s): the host is unknown (not in %s); it offered an %s key with fingerprint %s. "+
				"Check that fingerprint, then re-run with --accept-new-host-keys to record it",
			ep.name, hostname, p.file, key.Type(), gossh.FingerprintSHA256(key))}
	}
	return p.record(ep, hostname, remote, key)
}

func (p *hostKeyPolicy) changed(ep *endpoint, hostname string, key gossh.PublicKey, want []knownhosts.KnownKey) error {
	var known []string
	for _, w := range want {
		where := w.Filename
		if w.Line > 0 {
			where = fmt.Sprintf("%s line %d", w.Filename, w.Line)
		}
		known = append(known, fmt.Sprintf("%s %s (%s)", w.Key.Type(), gossh.FingerprintSHA256(w.Key), where))
	}
	return &HostKeyError{Host: ep.name, Addr: hostname, Changed: true, msg: fmt.Sprintf(
		"WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for %s (%s)! It offered an %s key %s, "+
			"but the known key is %s. Someone could be eavesdropping on you (man-in-the-middle attack), "+
			"or the host key has just been changed. Refusing to connect (--accept-new-host-keys does not override this); "+
			"if the change is expected, remove the old entry with: ssh-keygen -R '%s' -f %s",
		ep.name, hostname, key.Type(), gossh.FingerprintSHA256(key), strings.Join(known, ", "), knownhosts.Normalize(hostname), p.file)}
}

// record appends key for hostname, under the process mutex and a flock,
// after checking again that no other writer recorded the host meanwhile.
func (p *hostKeyPolicy) record(ep *endpoint, hostname string, remote net.Addr, key gossh.PublicKey) error {
	knownHostsMu.Lock()
	defer knownHostsMu.Unlock()
	if err := os.MkdirAll(filepath.Dir(p.file), 0o700); err != nil {
		return fmt.Errorf("recording host key: %w", err)
	}
	f, err := os.OpenFile(p.file, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("recording host key: %w", err)
	}
	defer f.Close()
	if err := lockFile(f); err != nil {
		return fmt.Errorf("recording host key: locking %s: %w", p.file, err)
	}
	defer unlockFile(f)

	kh, err := p.load()
	if err != nil {
		return err
	}
	var ke *knownhosts.KeyError
	switch err := kh.cb(hostname, remote, key); {
	case err == nil:
		return nil
	case errors.As(err, &ke) && len(kh.plain(ke.Want)) > 0:
		return p.changed(ep, hostname, key, kh.plain(ke.Want))
	case !errors.As(err, &ke):
		return fmt.Errorf("host key verification failed for %s (%s): %w", ep.name, hostname, err)
	}

	line := knownhosts.Line([]string{knownhosts.Normalize(hostname)}, key) + "\n"
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			line = "\n" + line
		}
	}
	if _, err := f.WriteString(line); err != nil {
		return fmt.Errorf("recording host key in %s: %w", p.file, err)
	}
	p.logf("runbook: recorded new %s host key %s for %s (%s) in %s",
		key.Type(), gossh.FingerprintSHA256(key), ep.name, hostname, p.file)
	return nil
}

// probeKey is a throwaway key that matches no known_hosts entry; checking
// it reveals which keys are known for a host.
var probeKey = sync.OnceValue(func() gossh.PublicKey {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil
	}
	k, _ := gossh.NewPublicKey(pub)
	return k
})

type addrString string

func (a addrString) Network() string { return "tcp" }
func (a addrString) String() string  { return string(a) }

// algorithms puts the host key algorithms of the keys already known for
// hostname first (as OpenSSH does), so a host with several keys offers the
// one we know instead of failing as "changed". nil means the defaults.
func (p *hostKeyPolicy) algorithms(hostname string) []string {
	if p.insecure || probeKey() == nil {
		return nil
	}
	kh, err := p.load()
	if err != nil {
		return nil
	}
	var ke *knownhosts.KeyError
	if err := kh.cb(hostname, addrString(hostname), probeKey()); !errors.As(err, &ke) || len(kh.plain(ke.Want)) == 0 {
		return nil
	}
	supported := gossh.SupportedAlgorithms().HostKeys
	var algos []string
	for _, w := range kh.plain(ke.Want) {
		for _, a := range algorithmsForKeyType(w.Key.Type()) {
			if slices.Contains(supported, a) && !slices.Contains(algos, a) {
				algos = append(algos, a)
			}
		}
	}
	for _, a := range supported {
		if !slices.Contains(algos, a) {
			algos = append(algos, a)
		}
	}
	return algos
}

func algorithmsForKeyType(t string) []string {
	if t == gossh.KeyAlgoRSA {
		return []string{gossh.KeyAlgoRSASHA512, gossh.KeyAlgoRSASHA256}
	}
	return []string{t}
}
