package modules

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

func runPause(t *testing.T, ctx context.Context, raw map[string]any) (*Result, error) {
	t.Helper()
	args, err := pauseSpec.Bind(raw, true)
	if err != nil {
		return nil, err
	}
	return pauseModule{}.Run(ctx, &Context{Check: true}, args)
}

func TestPauseWaits(t *testing.T) {
	start := time.Now()
	r, err := runPause(t, context.Background(), map[string]any{"seconds": 1})
	if err != nil || time.Since(start) < time.Second || r.Changed || r.Data["delta"] != 1 || r.Data["user_input"] != "" {
		t.Fatalf("seconds: 1 -> %+v, %v after %s", r, err, time.Since(start))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := runPause(t, ctx, map[string]any{"minutes": 5}); err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("a cancelled pause: %v", err)
	}
}

func TestPausePrompt(t *testing.T) {
	defer func(f func() (io.Reader, bool)) { pauseInput = f }(pauseInput)
	pauseInput = func() (io.Reader, bool) { return strings.NewReader("yes\n"), false }
	_, err := runPause(t, context.Background(), map[string]any{"prompt": "go on?"})
	if err == nil || !strings.Contains(err.Error(), "needs a terminal") || !strings.Contains(err.Error(), "seconds:") {
		t.Fatalf("a prompt without a terminal: %v", err)
	}
	var shown strings.Builder
	defer func(w io.Writer) { pausePrompt = w }(pausePrompt)
	pausePrompt = &shown
	pauseInput = func() (io.Reader, bool) { return strings.NewReader("yes\r\nmore\n"), true }
	r, err := runPause(t, context.Background(), map[string]any{"prompt": "go on?"})
	if err != nil || r.Data["user_input"] != "yes" || shown.String() != "[pause]\ngo on?:\n" {
		t.Fatalf("prompt: %+v, %v, shown %q", r, err, shown.String())
	}
}

func TestPauseErrors(t *testing.T) {
	for _, raw := range []map[string]any{{"seconds": 1, "minutes": 1}, {"seconds": -1}, {"seconds": "soon"}} {
		if _, err := runPause(t, context.Background(), raw); err == nil {
			t.Errorf("%v accepted", raw)
		}
	}
}
