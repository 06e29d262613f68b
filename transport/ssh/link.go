package ssh

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// link is one established SSH connection (plus its jump connection). It
// dies when the peer goes away, stops answering keepalives within the
// timeout, or is killed; dying closes everything, so every pending
// operation on it returns.
type link struct {
	client *gossh.Client
	jump   *gossh.Client
	done   chan struct{}
	once   sync.Once
	mu     sync.Mutex
	err    error
}

// keepaliveInterval is how long a connection may be silent before a
// keepalive is sent, for a given timeout: a few seconds, short enough to
// notice a dead peer soon after timeout.
func keepaliveInterval(timeout time.Duration) time.Duration {
	return min(max(timeout/3, 50*time.Millisecond), 5*time.Second)
}

func newLink(client, jump *gossh.Client, clock *readClock, timeout time.Duration) *link {
	l := &link{client: client, jump: jump, done: make(chan struct{})}
	go func() {
		err := client.Wait()
		if err == nil || errors.Is(err, io.EOF) {
			err = errors.New("connection closed by the server")
		}
		l.kill(fmt.Errorf("connection lost: %w", err))
	}()
	if jump != nil {
		go func() {
			err := jump.Wait()
			if err == nil || errors.Is(err, io.EOF) {
				err = errors.New("jump host closed the connection")
			}
			l.kill(fmt.Errorf("connection lost: jump host: %w", err))
		}()
	}
	go l.keepalive(keepaliveInterval(timeout), timeout, clock.lastRead)
	return l
}

// kill marks the link dead with cause err and closes its connections.
func (l *link) kill(err error) {
	l.once.Do(func() {
		l.mu.Lock()
		l.err = err
		l.mu.Unlock()
		close(l.done)
		l.client.Close()
		if l.jump != nil {
			l.jump.Close()
		}
	})
}

func (l *link) isDead() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// isDeadAfterBrief reports whether the link is dead, giving it a moment to
// notice: an operation can see its channel fail before the link does.
func (l *link) isDeadAfterBrief() bool {
	select {
	case <-l.done:
		return true
	case <-time.After(200 * time.Millisecond):
		return false
	}
}

// cause is why the link died (nil-safe).
func (l *link) cause() error {
	if l == nil {
		return errors.New("no connection")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil {
		return errors.New("connection lost")
	}
	return l.err
}

// keepalive sends keepalive@openssh.com once the connection has been
// silent (nothing read from the peer) for interval; a peer that does not
// answer within timeout kills the link. Any answer (OpenSSH replies
// "failure" to unknown requests) proves the peer is alive, and so does any
// data read: a busy connection sends no keepalives. A dead peer is noticed
// within interval + timeout of its last word, as with a fixed ticker.
func (l *link) keepalive(interval, timeout time.Duration, lastRead func() time.Time) {
	wait := time.NewTimer(interval)
	defer wait.Stop()
	reply := make(chan error, 1)
	for {
		select {
		case <-l.done:
			return
		case <-wait.C:
		}
		if idle := time.Since(lastRead()); idle < interval {
			wait.Reset(interval - idle)
			continue
		}
		go func() {
			_, _, err := l.client.SendRequest("keepalive@openssh.com", true, nil)
			reply <- err
		}()
		timer := time.NewTimer(timeout)
		select {
		case err := <-reply:
			timer.Stop()
			if err != nil {
				l.kill(fmt.Errorf("connection lost: keepalive failed: %w", err))
				return
			}
		case <-timer.C:
			l.kill(fmt.Errorf("connection lost: no answer to keepalive within %s", timeout))
			return
		case <-l.done:
			timer.Stop()
			return
		}
		wait.Reset(interval)
	}
}

// readClock is a net.Conn that remembers when it last read data.
type readClock struct {
	net.Conn
	last atomic.Int64 // UnixNano
}

func newReadClock(c net.Conn) *readClock {
	r := &readClock{Conn: c}
	r.last.Store(time.Now().UnixNano())
	return r
}

func (r *readClock) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	if n > 0 {
		r.last.Store(time.Now().UnixNano())
	}
	return n, err
}

func (r *readClock) lastRead() time.Time { return time.Unix(0, r.last.Load()) }
