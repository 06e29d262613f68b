package modules_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/modules"
)

// waitListener listens on 127.0.0.1; each connection gets banner, then is
// closed.
func waitListener(t *testing.T, banner string) (net.Listener, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte(banner))
			_ = c.Close()
		}
	}()
	t.Cleanup(func() { l.Close() })
	return l, l.Addr().(*net.TCPAddr).Port
}

// waitClosedPort is a port nothing listens on.
func waitClosedPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func TestWaitForPort(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		_, open := waitListener(t, "SSH-2.0-runbook_test\r\n")
		closed := waitClosedPort(t)
		for _, fromController := range []bool{false, true} {
			mc := connContext(t, c, nil)
			run := func(raw map[string]any) (*modules.Result, time.Duration) {
				raw["from_controller"] = fromController
				start := time.Now()
				r := helperMustRun(t, mc, "wait_for", raw)
				return r, time.Since(start)
			}
			r, took := run(map[string]any{"port": open, "timeout": 10})
			if r.Failed || r.Changed || took > 5*time.Second {
				t.Fatalf("controller=%v open port: %+v after %v", fromController, r, took)
			}
			r, _ = run(map[string]any{"port": open, "search_regex": `SSH-(\d)\.(?P<minor>\d)`, "timeout": 10})
			if r.Failed || !reflect.DeepEqual(r.Data["match_groups"], []any{"2", "0"}) || !reflect.DeepEqual(r.Data["match_groupdict"], map[string]any{"minor": "0"}) {
				t.Fatalf("controller=%v search_regex: %+v", fromController, r)
			}
			r, took = run(map[string]any{"port": closed, "timeout": 1, "sleep": 1})
			want := "Timeout when waiting for 127.0.0.1:" + strconv.Itoa(closed)
			if !r.Failed || r.Msg != want || took < time.Second || took > 4*time.Second || r.Data["elapsed"].(int) < 1 {
				t.Fatalf("controller=%v closed port: %+v after %v", fromController, r, took)
			}
			r, _ = run(map[string]any{"port": open, "search_regex": "nothing like this", "timeout": 1, "connect_timeout": 1})
			if !r.Failed || !strings.HasPrefix(r.Msg, "Timeout when waiting for search string nothing like this in 127.0.0.1:") {
				t.Fatalf("controller=%v regex mismatch: %+v", fromController, r)
			}
			r, _ = run(map[string]any{"port": closed, "state": "stopped", "timeout": 5})
			if r.Failed {
				t.Fatalf("controller=%v stopped: %+v", fromController, r)
			}
			r, _ = run(map[string]any{"port": open, "state": "stopped", "timeout": 1, "msg": "still up"})
			if !r.Failed || r.Msg != "still up" {
				t.Fatalf("controller=%v stopped while open: %+v", fromController, r)
			}
		}
	})
}

// The TCP probe runs on the host (through the connection) unless
// from_controller; delay postpones the first check.
func TestWaitForProbeRunsWhereAskedAfterDelay(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		_, open := waitListener(t, "hello\r\n")
		for _, fromController := range []bool{true, false} {
			w := &watchedConn{Transport: c.Conn}
			mc := connContext(t, testConn{Name: c.Name, Conn: w}, nil)
			r := helperMustRun(t, mc, "wait_for", map[string]any{"port": open, "timeout": 10, "from_controller": fromController})
			if r.Failed || (w.runs == 0) != fromController {
				t.Errorf("from_controller=%v: failed=%v, %d commands run on the host", fromController, r.Failed, w.runs)
			}
		}
		start := time.Now()
		r := helperMustRun(t, connContext(t, c, nil), "wait_for", map[string]any{"port": open, "timeout": 10, "delay": 1, "from_controller": true})
		if r.Failed || time.Since(start) < time.Second || r.Data["elapsed"].(int) < 1 {
			t.Errorf("delay 1: %+v after %v", r, time.Since(start))
		}
	})
}

func TestWaitForPortOpensLater(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		port := waitClosedPort(t)
		go func() {
			time.Sleep(1200 * time.Millisecond)
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
			if err != nil {
				return
			}
			time.Sleep(5 * time.Second)
			l.Close()
		}()
		r := helperMustRun(t, connContext(t, c, nil), "wait_for", map[string]any{"port": port, "timeout": 10, "delay": 0, "sleep": 1})
		if r.Failed || r.Data["elapsed"].(int) < 1 {
			t.Fatalf("%+v", r)
		}
	})
}

func TestWaitForFile(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir()
		p := filepath.Join(dir, "app.log")
		mc := connContext(t, c, nil)
		go func() {
			time.Sleep(500 * time.Millisecond)
			_ = os.WriteFile(p, []byte("starting\n"), 0o644)
			time.Sleep(1000 * time.Millisecond)
			_ = os.WriteFile(p, []byte("starting\nlistening on port 8080\n"), 0o644)
		}()
		r := helperMustRun(t, mc, "wait_for", map[string]any{"path": p, "timeout": 10})
		if r.Failed {
			t.Fatalf("present: %+v", r)
		}
		r = helperMustRun(t, mc, "wait_for", map[string]any{"path": p, "search_regex": `^listening on port (?P<port>\d+)$`, "timeout": 10})
		if r.Failed || !reflect.DeepEqual(r.Data["match_groups"], []any{"8080"}) || !reflect.DeepEqual(r.Data["match_groupdict"], map[string]any{"port": "8080"}) {
			t.Fatalf("regex: %+v", r)
		}
		r = helperMustRun(t, mc, "wait_for", map[string]any{"path": p, "search_regex": "^starting$", "state": "absent", "timeout": 1})
		if !r.Failed || r.Msg != "Timeout when waiting for "+p+" to be absent." {
			t.Fatalf("absent while matching: %+v", r)
		}
		go func() {
			time.Sleep(500 * time.Millisecond)
			_ = os.Remove(p)
		}()
		r = helperMustRun(t, mc, "wait_for", map[string]any{"path": p, "state": "absent", "timeout": 10})
		if r.Failed {
			t.Fatalf("absent: %+v", r)
		}
		start := time.Now()
		r = helperMustRun(t, mc, "wait_for", map[string]any{"path": p, "timeout": 1})
		if !r.Failed || r.Msg != "Timeout when waiting for file "+p || time.Since(start) > 4*time.Second {
			t.Fatalf("never there: %+v", r)
		}
		writeText(t, p, "nothing\n")
		r = helperMustRun(t, mc, "wait_for", map[string]any{"path": p, "search_regex": "ready", "timeout": 1})
		if !r.Failed || r.Msg != "Timeout when waiting for search string ready in "+p {
			t.Fatalf("string never there: %+v", r)
		}
	})
}

func TestWaitForDrainedAndPlainWait(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		mc := connContext(t, c, nil)
		r := helperMustRun(t, mc, "wait_for", map[string]any{"port": waitClosedPort(t), "state": "drained", "timeout": 5})
		if r.Failed {
			t.Fatalf("drained: %+v", r)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		port := l.Addr().(*net.TCPAddr).Port
		conn, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		r = helperMustRun(t, mc, "wait_for", map[string]any{"port": port, "state": "drained", "timeout": 1})
		if !r.Failed {
			t.Fatalf("an established connection is not drained: %+v", r)
		}
		start := time.Now()
		r = helperMustRun(t, mc, "wait_for", map[string]any{"timeout": 1})
		if r.Failed || time.Since(start) < time.Second {
			t.Fatalf("plain wait: %+v after %v", r, time.Since(start))
		}
	})
}

func TestWaitForCancelAndValidation(t *testing.T) {
	m, _ := modules.Lookup("wait_for")
	if m.Spec().Check != modules.CheckNone {
		t.Fatal("wait_for must be skipped in check mode")
	}
	args, err := m.Spec().Bind(map[string]any{"path": "/runbook/never/there", "timeout": 300}, true)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = m.Run(ctx, helperContext(t, nil), args)
	if err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("cancelled: err=%v after %v", err, time.Since(start))
	}
	for _, raw := range []map[string]any{
		{"port": 22, "path": "/x"},
		{"state": "drained"},
		{"port": 70000},
		{"port": 22, "connect_timeout": 0},
		{"path": "/x", "search_regex": "(?<=a)"},
		{"path": "relative"},
	} {
		if _, err := helperRun(t, helperContext(t, nil), "wait_for", raw); err == nil {
			t.Errorf("%v accepted", raw)
		}
	}
}
