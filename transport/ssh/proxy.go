package ssh

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// proxyStopWait bounds how long a closed ProxyCommand gets to exit after
// SIGHUP before it is killed.
const proxyStopWait = 2 * time.Second

// proxyConn is the SSH connection carried by a ProxyCommand's stdin and
// stdout. The command runs in its own process group, so a Ctrl-C at the
// terminal (which only stops new tasks) does not cut the connection;
// closing the conn ends it (SIGHUP as ssh does, SIGKILL after
// proxyStopWait).
type proxyConn struct {
	cmd    *exec.Cmd
	in     *os.File // the command's stdin (we write)
	out    *os.File // the command's stdout (we read)
	stderr *tailBuffer
	label  string
	exited chan struct{}
	err    error // of Wait, once exited is closed
	once   sync.Once
}

// dialProxy starts command with /bin/sh ("exec command", as ssh does) for
// the host label. A command that cannot start is an error; one that exits
// shows as the connection closing, and exitError then says why.
func dialProxy(command, label string) (*proxyConn, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	p := &proxyConn{in: inW, out: outR, stderr: &tailBuffer{max: 2048}, label: label, exited: make(chan struct{})}
	p.cmd = exec.Command("/bin/sh", "-c", "exec "+command)
	p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = inR, outW, p.stderr
	// A grandchild keeping stderr open must not hold Wait forever.
	p.cmd.WaitDelay = proxyStopWait
	ownProcessGroup(p.cmd)
	err = p.cmd.Start()
	inR.Close() // the child has its copies
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("starting the ProxyCommand for %s: %w", label, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

func (p *proxyConn) Read(b []byte) (int, error)  { return p.out.Read(b) }
func (p *proxyConn) Write(b []byte) (int, error) { return p.in.Write(b) }

// Close ends the command without waiting for it.
func (p *proxyConn) Close() error {
	p.once.Do(func() {
		p.in.Close()
		p.out.Close()
		signalGroup(p.cmd, hangup)
		go func() {
			select {
			case <-p.exited:
			case <-time.After(proxyStopWait):
				signalGroup(p.cmd, kill)
			}
		}()
	})
	return nil
}

// exitError says how the command ended, with the end of its stderr, if it
// ends within a moment; nil if it is still running.
func (p *proxyConn) exitError() error {
	select {
	case <-p.exited:
	case <-time.After(500 * time.Millisecond):
		return nil
	}
	status := "exit status 0"
	if p.err != nil {
		status = p.err.Error()
	}
	if msg := strings.TrimSpace(p.stderr.String()); msg != "" {
		return fmt.Errorf("it ended (%s): %s", status, msg)
	}
	return fmt.Errorf("it ended (%s)", status)
}

type proxyAddr string

func (a proxyAddr) Network() string { return "proxycommand" }
func (a proxyAddr) String() string  { return string(a) }

func (p *proxyConn) LocalAddr() net.Addr  { return proxyAddr("proxycommand") }
func (p *proxyConn) RemoteAddr() net.Addr { return proxyAddr(p.label) }

// errNoDeadline: pipes to a process take no deadlines; the SSH layer sets
// none (timeouts close the conn instead).
var errNoDeadline = errors.New("a ProxyCommand connection has no deadlines")

func (p *proxyConn) SetDeadline(time.Time) error      { return errNoDeadline }
func (p *proxyConn) SetReadDeadline(time.Time) error  { return errNoDeadline }
func (p *proxyConn) SetWriteDeadline(time.Time) error { return errNoDeadline }

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = t.b[over:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.ToValidUTF8(t.b, []byte("?")))
}
