package report

import (
	"bytes"
	"encoding/json"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// JSONLines writes one JSON object per event per line, for machines.
// Progress events are rate-limited as plain text is: at most one per host
// and task every interval (SetProgressInterval), none for shorter tasks.
type JSONLines struct {
	mu       sync.Mutex
	out      io.Writer
	redactor *Redactor
	gate     progressGate
}

// NewJSONLines returns a JSON-lines reporter.
func NewJSONLines(out io.Writer, r *Redactor) *JSONLines {
	return &JSONLines{out: out, redactor: r}
}

// SetProgressInterval sets how often, at most, progress events of one
// host and task are written (DefaultProgressInterval when 0).
func (j *JSONLines) SetProgressInterval(d time.Duration) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.gate.every = d
}

// Emit writes one event.
func (j *JSONLines) Emit(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if !j.pass(e) {
		return
	}
	data, err := json.Marshal(e)
	if err != nil {
		data, _ = json.Marshal(Event{Type: EventWarning, Time: e.Time, Msg: "cannot encode event: " + err.Error()})
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	_, _ = io.WriteString(j.out, j.redactor.Redact(string(data))+"\n") // nowhere better to report a broken pipe
}

// pass applies the progress rate limit.
func (j *JSONLines) pass(e Event) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.gate.done(e)
	return e.Type != EventProgress || j.gate.allow(e)
}

// CompactJSON renders v the way Ansible prints results: sorted keys,
// ", " and ": " separators, on one line.
func CompactJSON(v any) string {
	var b strings.Builder
	writeJSON(&b, v, "", "")
	return b.String()
}

// PrettyJSON renders v indented by four spaces, as Ansible's debug does.
func PrettyJSON(v any) string {
	var b strings.Builder
	writeJSON(&b, v, "\n", "    ")
	return b.String()
}

func writeJSON(b *strings.Builder, v any, nl, indent string) {
	writeValue(b, v, nl, indent, "")
}

func writeValue(b *strings.Builder, v any, nl, indent, cur string) {
	sep := ", "
	if nl != "" {
		sep = ","
	}
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			b.WriteString("{}")
			return
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("{")
		inner := cur + indent
		for i, k := range keys {
			if i > 0 {
				b.WriteString(sep)
			}
			b.WriteString(nl + inner)
			writeScalar(b, k)
			b.WriteString(": ")
			writeValue(b, x[k], nl, indent, inner)
		}
		b.WriteString(nl + cur + "}")
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[")
		inner := cur + indent
		for i, e := range x {
			if i > 0 {
				b.WriteString(sep)
			}
			b.WriteString(nl + inner)
			writeValue(b, e, nl, indent, inner)
		}
		b.WriteString(nl + cur + "]")
	default:
		writeScalar(b, v)
	}
}

func writeScalar(b *strings.Builder, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		b.WriteString(`"<unencodable>"`)
		return
	}
	b.WriteString(strings.TrimSuffix(buf.String(), "\n"))
}
