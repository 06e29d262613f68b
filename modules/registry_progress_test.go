package modules_test

import (
	"sync"
	"testing"

	"github.com/runbook-dev/runbook/modules"
)

func TestReportProgressIsNilSafe(t *testing.T) {
	var nilCtx *modules.Context
	nilCtx.ReportProgress(10, 5, "x")
	(&modules.Context{}).ReportProgress(10, 5, "x")
	var got [3]any
	mc := &modules.Context{Progress: func(total, done int64, label string) { got = [3]any{total, done, label} }}
	mc.ReportProgress(10, 5, "x")
	if got != [3]any{int64(10), int64(5), "x"} {
		t.Errorf("got %v", got)
	}
}

// progressCall is one call of Context.Progress.
type progressCall struct {
	total, done int64
	label       string
}

func TestRegistrySyncReportsProgress(t *testing.T) {
	src := t.TempDir()
	makeRegTree(t, src, 60, func(i int) int { return 10000 + i*3000 })
	eachConn(t, func(t *testing.T, c testConn) {
		var mu sync.Mutex
		var calls []progressCall
		mc := connContext(t, c, nil)
		mc.Progress = func(total, done int64, label string) {
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, progressCall{total, done, label})
		}
		dest := t.TempDir()
		r := mustSync(t, mc, syncArgs(src, dest))
		toSend := r.Data["to_send"].(map[string]any)["bytes"].(int64)
		mu.Lock()
		defer mu.Unlock()
		if len(calls) == 0 {
			t.Fatalf("no progress reported: %s", r.Msg)
		}
		last := int64(-1)
		for _, p := range calls {
			if p.total != toSend || p.label != "registry_sync" || p.done < last || p.done > p.total {
				t.Fatalf("progress %+v (to send %d, previous done %d)", p, toSend, last)
			}
			last = p.done
		}
		if end := calls[len(calls)-1]; end.done != dataInt(r, "bytes_sent") || end.done != end.total {
			t.Errorf("the last report %+v is not the end of the transfer (%d bytes sent)", end, dataInt(r, "bytes_sent"))
		}
		calls = nil
		mu.Unlock()
		again := mustSync(t, mc, syncArgs(src, dest))
		mu.Lock()
		if again.Changed || len(calls) != 0 {
			t.Errorf("nothing to send, yet %d progress reports: %s", len(calls), again.Msg)
		}
	})
}
