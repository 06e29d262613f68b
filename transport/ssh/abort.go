package ssh

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"sync/atomic"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/runbook-dev/runbook/transport"
)

// Aborting a command. Closing its channel does not stop a remote command
// (without a terminal nothing sends it SIGHUP), and the "signal" request is
// refused by OpenSSH for root logins ("session signalling requires
// privilege separation") and cannot reach a command under sudo. So every
// command first prints the id of the session sshd made for it (sshd calls
// setsid, so the shell's $$ is its session and process group id) on
// stderr, where the client strips it; on abort the client opens a fresh
// channel and ends every process of that session or group, through the
// same sudo as the command. This costs an echo per command, no round trip.

// sessionMarker starts the line a command prints first on stderr.
const sessionMarker = "runbook-sid="

// maxPreamble is how much stderr (from shell start-up files) may come
// before the marker; beyond it the marker is given up on.
const maxPreamble = 64 << 10

// abortMarkerWait bounds how long an abort waits for a command's marker
// when it was cancelled just after starting.
const abortMarkerWait = 2 * time.Second

// stopGrace is added to the connect timeout to bound stopping a command:
// the stop script waits 2 s between SIGTERM and SIGKILL.
const stopGrace = 3 * time.Second

// untracked marks a context whose commands need no abort handling (the
// stop command itself: aborting it must not start another one).
type untracked struct{}

// markedLine prefixes line with the echo of the session id.
func markedLine(line string) string {
	return "echo " + sessionMarker + "$$ >&2; " + line
}

// sessionWriter passes a command's stderr on to w without the marker line,
// and records the session id it carries. Write is called by one goroutine.
type sessionWriter struct {
	w     io.Writer
	buf   []byte
	done  bool // the marker was seen or given up on
	sid   atomic.Int64
	found chan struct{}
}

func newSessionWriter(w io.Writer) *sessionWriter {
	return &sessionWriter{w: w, found: make(chan struct{})}
}

func (g *sessionWriter) Write(p []byte) (int, error) {
	if g.done {
		return g.w.Write(p)
	}
	g.buf = append(g.buf, p...)
	for !g.done {
		i := bytes.IndexByte(g.buf, '\n')
		if i < 0 {
			if len(g.buf) <= maxPreamble {
				return len(p), nil
			}
			g.done = true
			break
		}
		if v, ok := bytes.CutPrefix(g.buf[:i], []byte(sessionMarker)); ok {
			if id, err := strconv.Atoi(string(v)); err == nil && id > 1 {
				g.sid.Store(int64(id))
				close(g.found)
				g.done = true
				g.buf = g.buf[i+1:]
				break
			}
		}
		if _, err := g.w.Write(g.buf[:i+1]); err != nil {
			return 0, err
		}
		g.buf = g.buf[i+1:]
	}
	if err := g.flush(); err != nil {
		return 0, err
	}
	return len(p), nil
}

// flush writes what is held back (a last line without a newline, once the
// command has ended).
func (g *sessionWriter) flush() error {
	if len(g.buf) == 0 {
		return nil
	}
	_, err := g.w.Write(g.buf)
	g.buf = nil
	return err
}

// abort ends the command of session s, whose context was cancelled, and
// returns once it is gone or after a bounded time. waited delivers the
// session's end; end closes the session and frees its slot.
func (c *Conn) abort(s *gossh.Session, g *sessionWriter, waited <-chan error, end func(), become *transport.Become) {
	if g == nil {
		_ = s.Signal(gossh.SIGTERM)
		end()
		return
	}
	timer := time.NewTimer(abortMarkerWait)
	defer timer.Stop()
	select {
	case <-g.found:
	case <-waited:
		end()
		return
	case <-timer.C:
		// No marker (not a POSIX shell?): the signal is all there is.
		_ = s.Signal(gossh.SIGTERM)
		end()
		return
	}
	end() // first: the stop command needs a session slot
	sid := int(g.sid.Load())
	ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), untracked{}, true), c.cfg.timeout()+stopGrace)
	defer cancel()
	res, err := c.Run(ctx, &transport.Cmd{Shell: stopScript(sid), Become: become})
	if err == nil && res.ExitCode != 0 {
		err = fmt.Errorf("exit status %d: %s", res.ExitCode, bytes.TrimSpace(res.Stderr))
	}
	if err != nil {
		c.logf("runbook: WARNING: %s: the aborted command (session %d) may still be running: stopping it failed: %v",
			c.hostName(), sid, err)
	}
}

// stopScript ends every process whose session or process group is sid:
// SIGTERM, up to 2 s to exit, then SIGKILL. It reads /proc with sh
// builtins only: no ps or pkill needed, and dash's kill has no
// "kill -- -pgid".
func stopScript(sid int) string {
	return fmt.Sprintf(`s=%d
members() {
  for d in /proc/[0-9]*; do
    read -r st 2>/dev/null <"$d/stat" || continue
    set -- ${st##*)}
    [ "$1" != Z ] && { [ "$3" = "$s" ] || [ "$4" = "$s" ]; } && echo "${d#/proc/}"
  done
}
p=$(members)
[ -n "$p" ] || exit 0
kill -s TERM $p 2>/dev/null
n=0
while [ $n -lt 20 ]; do
  sleep 0.1 2>/dev/null
  p=$(members)
  [ -n "$p" ] || exit 0
  n=$((n+1))
done
kill -s KILL $p 2>/dev/null
exit 0
`, sid)
}
