package fleet

import (
	"errors"
	"io"
	"os/exec"
	"syscall"
	"time"

	"github.com/pkg/sftp"
	gossh "golang.org/x/crypto/ssh"
)

// maxEnv bounds the environment variables a session may set.
const maxEnv = 64

// session serves one session channel: env, then one exec or the sftp
// subsystem. pty-req, shell and anything else are refused.
func (s *server) session(nc gossh.NewChannel) {
	ch, reqs, err := nc.Accept()
	if err != nil {
		return
	}
	var env []string
	started := false
	done := make(chan struct{})
	for req := range reqs {
		var start func()
		ok := false
		switch {
		case started:
		case req.Type == "env" && len(env) < maxEnv:
			var kv struct{ Name, Value string }
			if gossh.Unmarshal(req.Payload, &kv) == nil && kv.Name != "" {
				env, ok = append(env, kv.Name+"="+kv.Value), true
			}
		case req.Type == "exec":
			var line struct{ Command string }
			if gossh.Unmarshal(req.Payload, &line) == nil {
				start = func() { s.exec(ch, line.Command, env) }
			}
		case req.Type == "subsystem":
			var name struct{ Name string }
			if gossh.Unmarshal(req.Payload, &name) == nil && name.Name == "sftp" {
				start = func() { s.sftp(ch) }
			}
		}
		if start != nil {
			ok, started = true, true
		}
		if req.WantReply {
			// Reply before starting: a fast command's exit-status and
			// close must not overtake the reply to its exec request.
			_ = req.Reply(ok, nil) // the client may be gone
		}
		if start != nil {
			go func() { defer close(done); start() }()
		}
	}
	if started {
		<-done
	}
	ch.Close()
}

// exec runs line with /bin/sh in the sandbox and reports its exit status.
func (s *server) exec(ch gossh.Channel, line string, env []string) {
	defer ch.Close()
	cmd := exec.Command("/bin/sh", "-c", line)
	cmd.Dir = s.host.Sandbox
	cmd.Env = append([]string{
		"HOME=" + s.host.Sandbox, "USER=root", "LOGNAME=root", "SHELL=/bin/sh", "LANG=C.UTF-8",
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	}, env...)
	cmd.Stdout, cmd.Stderr = ch, ch.Stderr()
	cmd.WaitDelay = 5 * time.Second // a daemon holding stdout open cannot wedge the session
	stdin, err := cmd.StdinPipe()
	if err != nil {
		s.exitStatus(ch, 255)
		return
	}
	if err := s.startProc(cmd); err != nil {
		_, _ = io.WriteString(ch.Stderr(), "fleet: "+err.Error()+"\n")
		s.exitStatus(ch, 127)
		return
	}
	go func() {
		_, _ = io.Copy(stdin, ch) // ends at the client's EOF, or when Wait closes stdin
		stdin.Close()
	}()
	err = cmd.Wait()
	s.endProc(cmd)
	s.exitStatus(ch, exitCode(err))
}

func exitCode(err error) uint32 {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + uint32(ws.Signal())
		}
		return uint32(ee.ExitCode())
	default:
		return 255
	}
}

func (s *server) exitStatus(ch gossh.Channel, code uint32) {
	_, _ = ch.SendRequest("exit-status", false, gossh.Marshal(struct{ Status uint32 }{code}))
}

// sftp serves the sftp subsystem with the sandbox as working directory.
func (s *server) sftp(ch gossh.Channel) {
	srv, err := sftp.NewServer(ch, sftp.WithServerWorkingDirectory(s.host.Sandbox))
	if err != nil {
		return
	}
	if err := srv.Serve(); err != nil && !errors.Is(err, io.EOF) {
		s.logf("fleet: %s: sftp: %v", s.host.Name, err)
	}
	srv.Close()
}
