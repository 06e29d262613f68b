package report

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a strings.Builder the bars' goroutine may write to.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until out holds every part (the bars are drawn by their
// own goroutine, a few times a second).
func waitFor(t *testing.T, out *syncBuffer, parts ...string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		missing := ""
		for _, p := range parts {
			if !strings.Contains(out.String(), p) {
				missing = p
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q drawn:\n%q", missing, out.String())
		}
	}
}

// screen replays output on a minimal terminal that knows only what the
// bars use, "ESC[nA ESC[J" (n lines up, erase below), and returns what is
// left on the screen.
func screen(t *testing.T, out string) string {
	t.Helper()
	var lines []string
	var cur strings.Builder
	for len(out) > 0 {
		if rest, ok := strings.CutPrefix(out, "\x1b["); ok {
			i := 0
			for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
				i++
			}
			n, err := strconv.Atoi(rest[:i])
			after, ok := strings.CutPrefix(rest[i:], "A\x1b[J")
			if err != nil || !ok || cur.Len() > 0 {
				t.Fatalf("unexpected escape sequence at %q", out[:min(len(out), 20)])
			}
			lines, out = lines[:max(0, len(lines)-n)], after
			continue
		}
		if out[0] == '\n' {
			lines = append(lines, cur.String())
			cur.Reset()
		} else {
			cur.WriteByte(out[0])
		}
		out = out[1:]
	}
	return strings.Join(append(lines, cur.String()), "\n")
}

func TestProgressLineFormat(t *testing.T) {
	e := Event{Host: "127.0.10.3", Task: "sync", Progress: &Progress{Label: "registry_sync", Done: 412 << 20, Total: 1 << 30,
		Rate: 180 << 20, ETA: 3.4, Elapsed: 12}}
	if got, want := ProgressLine(e), "[127.0.10.3] registry_sync: 412 MiB / 1.0 GiB (40%), 180 MiB/s, ETA 3s"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	e.Progress.Done, e.Progress.ETA = 1000<<20, 0.2
	if got, want := ProgressLine(e), "[127.0.10.3] registry_sync: 1000 MiB / 1.0 GiB (97%), 180 MiB/s, ETA <1s"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	e = Event{Host: "h1", Delegate: "m0", Task: "wait for the API", Progress: &Progress{Elapsed: 75}}
	if got, want := ProgressLine(e), "[h1 -> m0] wait for the API: still running after 1m15s"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 10 << 20: "10 MiB", 5 << 40: "5.0 TiB"} {
		if got := HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// at makes a progress event of host at t0+sec, the task having run el
// seconds.
func at(t0 time.Time, host string, sec, el float64) Event {
	return Event{Type: EventProgress, Time: t0.Add(time.Duration(sec * float64(time.Second))), Host: host, Task: "sync",
		Progress: &Progress{Label: "registry_sync", Done: 412 << 20, Total: 1 << 30, Rate: 180 << 20, ETA: 3.4, Elapsed: el}}
}

func TestPlainProgressLinesAreRateLimited(t *testing.T) {
	var b strings.Builder
	tx := NewText(TextOptions{Out: &b})
	t0 := time.Now()
	for _, e := range []Event{
		{Type: EventTaskStart, Task: "sync"},
		at(t0, "h1", 0, 2),     // a short transfer so far: nothing
		at(t0, "h1", 8, 10),    // shown
		at(t0, "h1", 12, 14),   // 4 s after the last: nothing
		at(t0, "h2", 12, 14),   // another host: shown
		at(t0, "h1", 18.5, 20), // shown
		{Type: EventHostResult, Host: "h1", Task: "sync", Status: StatusChanged},
		{Type: EventHostResult, Host: "h2", Task: "sync", Status: StatusChanged},
	} {
		tx.Emit(e)
	}
	line := func(h string) string {
		return "[" + h + "] registry_sync: 412 MiB / 1.0 GiB (40%), 180 MiB/s, ETA 3s\n"
	}
	want := "\nTASK [sync] ********************************************************************\n" +
		line("h1") + line("h2") + line("h1") + "changed: [h1]\nchanged: [h2]\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestJSONProgressIsRateLimited(t *testing.T) {
	var b strings.Builder
	j := NewJSONLines(&b, nil)
	j.SetProgressInterval(5 * time.Second)
	t0 := time.Now()
	for _, e := range []Event{at(t0, "h1", 0, 2), at(t0, "h1", 4, 6), at(t0, "h1", 6, 8), at(t0, "h1", 9, 11),
		{Type: EventHostResult, Host: "h1", Task: "sync"}} {
		j.Emit(e)
	}
	if n := strings.Count(b.String(), `"event":"progress"`); n != 2 || !strings.Contains(b.String(), `"progress":{"label":"registry_sync","done":432013312,"total":1073741824,"rate":188743680,"eta":3.4,"elapsed":6}`) {
		t.Errorf("%d progress lines:\n%s", n, b.String())
	}
}

func TestTerminalBarsAppearAndAreCleared(t *testing.T) {
	t0 := time.Now()
	before := []Event{{Type: EventPlayStart, Play: "p"}, {Type: EventTaskStart, Task: "sync"}}
	progress := []Event{
		at(t0, "h1", 0, 3),
		{Type: EventProgress, Time: t0, Host: "h2", Task: "sync", Progress: &Progress{Elapsed: 3}},
		{Type: EventProgress, Time: t0, Host: "h3", Task: "sync", Progress: &Progress{Elapsed: 0.5}}, // too short for a bar
	}
	after := []Event{
		{Type: EventHostResult, Host: "h3", Task: "sync", Status: StatusOK}, // printed above the bars
		{Type: EventHostResult, Host: "h1", Task: "sync", Status: StatusChanged},
		{Type: EventHostResult, Host: "h2", Task: "sync", Status: StatusChanged},
		{Type: EventRecap, Stats: []HostStats{{Host: "h1", OK: 1, Changed: 1}}},
	}
	var plain strings.Builder
	pt := NewText(TextOptions{Out: &plain, Width: 100})
	out := &syncBuffer{}
	tt := NewText(TextOptions{Out: out, Width: 100, Terminal: true})
	for _, e := range append(append(append([]Event{}, before...), progress...), after...) {
		pt.Emit(e)
	}
	for _, e := range append(before, progress...) {
		tt.Emit(e)
	}
	waitFor(t, out, "[h1] registry_sync", "412 MiB / 1.0 GiB (40%), 180 MiB/s, ETA 3s", "[h2] sync", "running for ")
	for _, e := range after {
		tt.Emit(e)
	}
	if strings.Contains(out.String(), "[h3] sync") {
		t.Error("a bar for a task that has run half a second")
	}
	if got := screen(t, out.String()); got != plain.String() {
		t.Errorf("with the bars cleared the screen reads\n%s\nwant, as without a terminal:\n%s", got, plain.String())
	}

	// Close clears bars a run left (one that ended in an error).
	tt.Emit(Event{Type: EventProgress, Time: t0, Host: "h4", Task: "wait", Progress: &Progress{Elapsed: 5}})
	waitFor(t, out, "[h4] wait")
	if err := tt.Close(); err != nil {
		t.Fatal(err)
	}
	if got := screen(t, out.String()); got != plain.String() {
		t.Errorf("after Close the screen reads\n%s", got)
	}
}

func TestProgressNeverShowsSecrets(t *testing.T) {
	const secret = "hunter2secret"
	r := &Redactor{}
	r.Add(secret)
	events := []Event{
		{Type: EventProgress, Time: time.Now(), Host: "h1", Task: "copy", Progress: &Progress{Label: "push " + secret, Done: 5, Total: 10, Elapsed: 20}},
		{Type: EventProgress, Time: time.Now(), Host: "h2", Task: "deploy " + secret, Progress: &Progress{Elapsed: 20}},
	}
	var plain, js strings.Builder
	pt := NewText(TextOptions{Out: &plain, Redactor: r})
	j := NewJSONLines(&js, r)
	term := &syncBuffer{}
	tt := NewText(TextOptions{Out: term, Redactor: r, Terminal: true})
	for _, e := range events {
		pt.Emit(e)
		j.Emit(e)
		tt.Emit(e)
	}
	waitFor(t, term, "[h1] push "+Mask, "[h2] deploy "+Mask)
	_ = tt.Close()
	for name, out := range map[string]string{"plain": plain.String(), "json": js.String(), "terminal": term.String()} {
		if strings.Contains(out, secret) || !strings.Contains(out, Mask) {
			t.Errorf("%s output:\n%s", name, out)
		}
	}
}
