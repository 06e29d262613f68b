package transport

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

func TestSplitWordsInvertsQuoteArgs(t *testing.T) {
	args := []string{"plain", "two words", "it's", `dq"x`, "$(rm -rf /)", "", "a\\b", "tab\there"}
	got, err := SplitWords(QuoteArgs(args))
	if err != nil || !reflect.DeepEqual(got, args) {
		t.Errorf("got %q, %v; want %q", got, err, args)
	}
	if w, _ := SplitWords(`a="b c" d\ e 'f'`); !reflect.DeepEqual(w, []string{"a=b c", "d e", "f"}) {
		t.Errorf("got %q", w)
	}
	for _, bad := range []string{`'open`, `"open`, `trail\`} {
		if _, err := SplitWords(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

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
