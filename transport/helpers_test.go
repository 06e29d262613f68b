package transport

import (
	"context"
	"strings"
	"testing"
)

func TestContextReaderStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := ContextReader(ctx, strings.NewReader("data"))
	buf := make([]byte, 2)
	if n, err := r.Read(buf); n != 2 || err != nil {
		t.Fatalf("read %d %v", n, err)
	}
	cancel()
	if _, err := r.Read(buf); err != context.Canceled {
		t.Errorf("after cancel: %v", err)
	}
}
