package ssh

import (
	"errors"
	"fmt"
	"io"
	"sync"
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

// keepaliveInterval is how often a keepalive is sent for a given timeout:
// a few seconds, often enough to notice a dead peer soon after timeout.
func keepaliveInterval(timeout time.Duration) time.Duration {
	return min(max(timeout/3, 50*time.Millisecond), 5*time.Second)
}

func newLink(client, jump *gossh.Client, timeout time.Duration) *link {
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
	go l.keepalive(keepaliveInterval(timeout), timeout)
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

// keepalive sends keepalive@openssh.com every interval; a peer that does
// not answer one within timeout kills the link. Any answer (OpenSSH
// replies "failure" to unknown requests) proves the peer is alive.
func (l *link) keepalive(interval, timeout time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	reply := make(chan error, 1)
	for {
		select {
		case <-l.done:
			return
		case <-tick.C:
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
	}
}
