package modules

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(waitForModule{}) }

type waitForModule struct{}

var waitForSpec = &Spec{
	Name:  "wait_for",
	Short: "Wait for a TCP port, a file or a string in a file",
	Doc: "Waits until a condition holds, checking every sleep seconds until timeout (counted from the start, delay " +
		"included). With port: started waits until a connection to host:port succeeds (and, with search_regex, " +
		"until the data the server sends matches); stopped until connections are refused; drained until no " +
		"connection to local port is active on the host (read from /proc/net/tcp*). The TCP probe runs on the " +
		"host (bash's /dev/tcp, else nc, bounded by connect_timeout), or from the controller with from_controller. " +
		"With path (always on the host): present/started waits for the file (and search_regex, multi-line, in " +
		"it); absent/stopped until the file is gone (or, with search_regex, no longer matches). With neither, " +
		"it just waits timeout seconds. Never changes anything; skipped in check mode.",
	Params: []Param{
		{Name: "host", Type: TypeString, Default: "127.0.0.1", Doc: "The address or name to connect to, as seen from where the probe runs."},
		{Name: "port", Type: TypeInt, Doc: "The TCP port to check."},
		{Name: "path", Type: TypePath, Doc: "A file on the host to wait for (or to disappear)."},
		{Name: "search_regex", Type: TypeString, Doc: "A regular expression (Go RE2, multi-line) that must match the file's content or the data read from the port."},
		{Name: "state", Type: TypeString, Default: "started", Choices: []string{"started", "stopped", "present", "absent", "drained"},
			Doc: "What to wait for; see the description. present is started, absent is stopped."},
		{Name: "timeout", Type: TypeInt, Default: 300, Doc: "Seconds to wait in all before failing."},
		{Name: "delay", Type: TypeInt, Default: 0, Doc: "Seconds to wait before the first check."},
		{Name: "sleep", Type: TypeInt, Default: 1, Doc: "Seconds between checks."},
		{Name: "connect_timeout", Type: TypeInt, Default: 5, Doc: "Seconds one connection attempt (and the read for search_regex) may take."},
		{Name: "from_controller", Type: TypeBool, Default: false, Doc: "Run the TCP probe from the controller (Go's dialer) instead of on the host."},
		{Name: "msg", Type: TypeString, Doc: "The failure message instead of the default one."},
	},
	Check: CheckNone,
	Returns: []Return{
		{Name: "elapsed", Type: TypeInt, Doc: "Seconds waited."},
		{Name: "match_groups", Type: TypeList, Doc: "The groups of search_regex's match."},
		{Name: "match_groupdict", Type: TypeMap, Doc: "The named groups of search_regex's match."},
	},
	Example: `- name: Wait for the API server
  wait_for:
    port: 6443
    timeout: 120

- name: Wait for the service to log that it is ready
  wait_for:
    path: /var/log/app.log
    search_regex: 'listening on port (\d+)'`,
	Validate: func(a Args) error {
		switch {
		case a.Has("port") && a.Has("path"):
			return errors.New("port and path parameter can not both be passed to wait_for")
		case a.String("state") == "drained" && !a.Has("port"):
			return errors.New("state=drained needs port")
		case a.Has("port") && (a.Int("port") < 1 || a.Int("port") > 65535):
			return fmt.Errorf("port %d is out of range", a.Int("port"))
		case a.Int("timeout") < 0 || a.Int("delay") < 0 || a.Int("sleep") < 0 || a.Int("connect_timeout") < 1:
			return errors.New("timeout, delay and sleep must not be negative, connect_timeout must be at least 1")
		}
		return nil
	},
}

func (waitForModule) Spec() *Spec { return waitForSpec }

// waitForProbe checks the condition once: done says it holds; groups come
// from search_regex.
type waitForProbe func(ctx context.Context) (done bool, m *waitForMatch, err error)

type waitForMatch struct {
	re     *regexp.Regexp
	text   string
	groups []int
}

func (waitForModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	start := time.Now()
	state := map[string]string{"present": "started", "absent": "stopped"}[args.String("state")]
	if state == "" {
		state = args.String("state")
	}
	var re *regexp.Regexp
	if args.Has("search_regex") {
		var err error
		if re, err = textRegexp("wait_for", "search_regex", "(?m)"+args.String("search_regex")); err != nil {
			return nil, err
		}
	}
	timeout, delay := time.Duration(args.Int("timeout"))*time.Second, time.Duration(args.Int("delay"))*time.Second
	deadline := start.Add(timeout)
	parent := ctx
	ctx, cancel := context.WithDeadline(ctx, start.Add(delay+timeout+time.Second))
	defer cancel()
	data := map[string]any{"state": args.String("state"), "port": args["port"], "path": args["path"],
		"search_regex": args["search_regex"], "match_groups": []any{}, "match_groupdict": map[string]any{}}
	if !waitForSleep(ctx, delay) {
		return waitForEnd(parent, start, data)
	}
	host, port, p := args.String("host"), args.Int("port"), args.String("path")
	var probe waitForProbe
	var failMsg string
	switch {
	case port != 0 && state == "drained":
		probe, failMsg = waitForDrained(mc, port), fmt.Sprintf("Timeout when waiting for %s:%d to drain", host, port)
	case port != 0:
		probe = waitForTCP(mc, args, state == "started", re)
		failMsg = fmt.Sprintf("Timeout when waiting for %s:%d", host, port)
		if state == "stopped" {
			failMsg += " to stop."
		} else if re != nil {
			failMsg = fmt.Sprintf("Timeout when waiting for search string %s in %s:%d", args.String("search_regex"), host, port)
		}
	case p != "":
		var err error
		if p, err = textHostPath(ctx, mc, "wait_for", p); err != nil {
			return nil, err
		}
		probe = waitForFile(mc, p, state == "started", re)
		switch {
		case state == "stopped":
			failMsg = fmt.Sprintf("Timeout when waiting for %s to be absent.", p)
		case re != nil:
			failMsg = fmt.Sprintf("Timeout when waiting for search string %s in %s", args.String("search_regex"), p)
		default:
			failMsg = fmt.Sprintf("Timeout when waiting for file %s", p)
		}
	default: // nothing to check: wait timeout seconds after the delay, as Ansible does
		waitForSleep(ctx, timeout)
		return waitForEnd(parent, start, data)
	}
	sleep := max(time.Duration(args.Int("sleep"))*time.Second, 100*time.Millisecond) // sleep: 0 must not spin
	for {
		done, m, err := probe(ctx)
		if err != nil && ctx.Err() == nil {
			return nil, err
		}
		if done {
			if m != nil {
				data["match_groups"], data["match_groupdict"] = m.lists()
			}
			return waitForEnd(parent, start, data)
		}
		left := time.Until(deadline)
		if left <= 0 || ctx.Err() != nil {
			break
		}
		if !waitForSleep(ctx, min(sleep, left)) {
			break
		}
	}
	if r, err := waitForEnd(parent, start, data); err != nil {
		return r, err
	}
	if args.Has("msg") {
		failMsg = args.String("msg")
	}
	return &Result{Failed: true, Msg: failMsg, Data: data}, nil
}

// waitForEnd returns the result, or the caller's cancellation.
func waitForEnd(parent context.Context, start time.Time, data map[string]any) (*Result, error) {
	data["elapsed"] = int(time.Since(start).Seconds())
	if err := context.Cause(parent); err != nil {
		return nil, fmt.Errorf("wait_for: %w", err)
	}
	return &Result{Data: data}, nil
}

func waitForSleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (m *waitForMatch) lists() ([]any, map[string]any) {
	groups, named := []any{}, map[string]any{}
	for i := 1; i <= m.re.NumSubexp(); i++ {
		var v any // an unmatched group is null, as in Python
		if m.groups[2*i] >= 0 {
			v = m.text[m.groups[2*i]:m.groups[2*i+1]]
		}
		groups = append(groups, v)
		if name := m.re.SubexpNames()[i]; name != "" {
			named[name] = v
		}
	}
	return groups, named
}

func waitForSearch(re *regexp.Regexp, text []byte) *waitForMatch {
	if g := re.FindSubmatchIndex(text); g != nil {
		return &waitForMatch{re: re, text: string(text), groups: g}
	}
	return nil
}

// waitForFile checks for the file (and the expression in it) on the host.
func waitForFile(mc *Context, p string, present bool, re *regexp.Regexp) waitForProbe {
	return func(ctx context.Context) (bool, *waitForMatch, error) {
		tf, err := readTextFile(ctx, mc, "wait_for", p)
		if err != nil {
			return false, nil, err
		}
		switch {
		case !present && re != nil:
			return !tf.Exists || !re.Match(tf.Data), nil, nil
		case !present:
			return !tf.Exists, nil, nil
		case !tf.Exists:
			return false, nil, nil
		case re == nil:
			return true, nil, nil
		}
		m := waitForSearch(re, tf.Data)
		return m != nil, m, nil
	}
}

// waitForTCPScript connects to $1:$2 within $3 seconds, prints "connected"
// and, when $4 is 1, what the server sends for up to $3 seconds. Exit
// status 125: no way to probe on this host.
const waitForTCPScript = `h=$1 p=$2 t=$3 r=$4
T=; if command -v timeout >/dev/null 2>&1; then T="timeout $t"; fi
if command -v bash >/dev/null 2>&1; then
  $T bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1; echo connected; [ "$2" = 1 ] || exit 0; exec 2>/dev/null; head -c 65536 <&3' "$h" "$p" "$r"
elif command -v nc >/dev/null 2>&1; then
  if [ "$r" = 1 ]; then $T nc -w "$t" "$h" "$p" </dev/null | { echo connected; head -c 65536; }
  else $T nc -z -w "$t" "$h" "$p" && echo connected; fi
else
  echo "neither bash nor nc is installed to probe TCP ports" >&2; exit 125
fi
exit 0`

// waitForTCP probes host:port on the host or from the controller; started
// wants the port open (and re matching), stopped wants it closed.
func waitForTCP(mc *Context, args Args, started bool, re *regexp.Regexp) waitForProbe {
	host, port := args.String("host"), args.Int("port")
	ct := time.Duration(args.Int("connect_timeout")) * time.Second
	read := started && re != nil
	return func(ctx context.Context) (bool, *waitForMatch, error) {
		var open bool
		var data []byte
		if args.Bool("from_controller") {
			open, data = waitForDial(ctx, host, port, ct, re, read)
		} else {
			pctx, cancel := context.WithTimeout(ctx, ct+5*time.Second)
			defer cancel()
			res, err := mc.Conn.Run(pctx, &transport.Cmd{Args: []string{"/bin/sh", "-c", waitForTCPScript, "runbook-probe",
				host, strconv.Itoa(port), strconv.Itoa(int(ct / time.Second)), map[bool]string{true: "1", false: "0"}[read]}})
			switch {
			case err != nil && ctx.Err() == nil && pctx.Err() != nil:
				return false, nil, nil // the probe itself hung: not open
			case err != nil:
				return false, nil, fmt.Errorf("wait_for: probing %s:%d on %s: %w", host, port, mc.Host, err)
			case res.ExitCode == 125:
				return false, nil, fmt.Errorf("wait_for: probing %s:%d on %s: %s", host, port, mc.Host, textStderr(res))
			}
			data, open = bytes.CutPrefix(res.Stdout, []byte("connected\n"))
		}
		if !started {
			return !open, nil, nil
		}
		if !read {
			return open, nil, nil
		}
		m := waitForSearch(re, data)
		return open && m != nil, m, nil
	}
}

// waitForDial connects from the controller and, with read, reads until re
// matches, the server closes or ct passes.
func waitForDial(ctx context.Context, host string, port int, ct time.Duration, re *regexp.Regexp, read bool) (bool, []byte) {
	d := net.Dialer{Timeout: ct}
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return false, nil
	}
	defer c.Close()
	if !read {
		return true, nil
	}
	_ = c.SetReadDeadline(time.Now().Add(ct))
	stop := context.AfterFunc(ctx, func() { _ = c.SetReadDeadline(time.Now()) })
	defer stop()
	var buf []byte
	chunk := make([]byte, 4096)
	for len(buf) < 1<<16 {
		n, err := c.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if re.Match(buf) || err != nil {
			break
		}
	}
	return true, buf
}

// waitForDrained reads the host's TCP tables and is done when no
// connection to the local port is in an active state.
func waitForDrained(mc *Context, port int) waitForProbe {
	// ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT: Ansible's default active states.
	active := map[string]bool{"01": true, "02": true, "03": true, "04": true, "05": true, "06": true}
	return func(ctx context.Context) (bool, *waitForMatch, error) {
		res, err := mc.Conn.Run(ctx, &transport.Cmd{Shell: "cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; exit 0"})
		if err != nil {
			return false, nil, fmt.Errorf("wait_for: reading the TCP connections of %s: %w", mc.Host, err)
		}
		for _, line := range strings.Split(string(res.Stdout), "\n") {
			f := strings.Fields(line)
			if len(f) < 4 || !active[f[3]] {
				continue
			}
			_, hexPort, ok := strings.Cut(f[1], ":")
			if n, err := strconv.ParseUint(hexPort, 16, 16); ok && err == nil && int(n) == port {
				return false, nil, nil
			}
		}
		return true, nil, nil
	}
}
