package moddoc

import (
	"errors"
	"testing"
)

func TestReadmeSplice(t *testing.T) {
	doc := "intro\n" + BeginMarker + "\nold\n" + EndMarker + "\nrest\n"
	got, err := Splice([]byte(doc), []byte("new 1\nnew 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "intro\n" + BeginMarker + "\nnew 1\nnew 2\n" + EndMarker + "\nrest\n"; string(got) != want {
		t.Errorf("Splice:\n%s\nwant\n%s", got, want)
	}
	if b, err := Between(got); err != nil || string(b) != "new 1\nnew 2\n" {
		t.Errorf("Between = %q, %v", b, err)
	}
	empty := BeginMarker + "\n" + EndMarker + "\n"
	if b, err := Between([]byte(empty)); err != nil || len(b) != 0 {
		t.Errorf("Between(empty) = %q, %v", b, err)
	}
	for name, bad := range map[string]string{
		"no markers": "just text\n",
		"no end":     BeginMarker + "\nx\n",
		"reversed":   EndMarker + "\n" + BeginMarker + "\n",
		"twice":      BeginMarker + "\n" + EndMarker + "\n" + BeginMarker + "\n" + EndMarker + "\n",
	} {
		if _, err := Splice([]byte(bad), []byte("x\n")); !errors.Is(err, ErrNoMarkers) {
			t.Errorf("%s: err = %v, want ErrNoMarkers", name, err)
		}
	}
}
