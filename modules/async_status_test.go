package modules_test

import (
	"context"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/modules"
)

// fakeJobs is a job table with fixed jobs, recording what was forgotten.
type fakeJobs struct {
	jobs      map[string]modules.AsyncJob // by jid; all for host "localhost"
	forgotten []string
}

func (f *fakeJobs) Job(jid, host string) (modules.AsyncJob, bool) {
	j, ok := f.jobs[jid]
	return j, ok && host == "localhost"
}

func (f *fakeJobs) Forget(jid, host string) { f.forgotten = append(f.forgotten, jid+"@"+host) }

func runAsyncStatus(t *testing.T, ctx context.Context, args map[string]any) *modules.Result {
	t.Helper()
	m, _ := modules.Lookup("async_status")
	a, err := m.Spec().Bind(args, true)
	if err != nil {
		t.Fatal(err)
	}
	r, err := m.Run(ctx, helperContext(t, nil), a)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestAsyncStatus: a running job reports finished 0; a finished one its own
// result (changed, failed, msg, stdout …) with finished 1; cleanup forgets
// it; an unknown job, or a run without jobs, fails naming the job id.
func TestAsyncStatus(t *testing.T) {
	jobs := &fakeJobs{jobs: map[string]modules.AsyncJob{
		"j1": {},
		"j2": {Finished: true, Result: map[string]any{"changed": true, "failed": false, "rc": 0, "stdout": "done", "msg": ""}},
		"j3": {Finished: true, Result: map[string]any{"changed": true, "failed": true, "rc": 3, "msg": "non-zero return code"}},
	}}
	ctx := modules.WithAsyncJobs(context.Background(), jobs)

	r := runAsyncStatus(t, ctx, map[string]any{"jid": "j1"})
	if m := r.Map(); r.Failed || r.Changed || m["finished"] != 0 || m["started"] != 1 || m["ansible_job_id"] != "j1" {
		t.Errorf("running job: %v", m)
	}
	r = runAsyncStatus(t, ctx, map[string]any{"jid": "j2"})
	if m := r.Map(); r.Failed || !r.Changed || m["finished"] != 1 || m["stdout"] != "done" || m["rc"] != 0 {
		t.Errorf("finished job: %v", m)
	}
	r = runAsyncStatus(t, ctx, map[string]any{"jid": "j3"})
	if m := r.Map(); !r.Failed || m["msg"] != "non-zero return code" || m["rc"] != 3 || m["finished"] != 1 {
		t.Errorf("failed job: %v", m)
	}
	r = runAsyncStatus(t, ctx, map[string]any{"jid": "j2", "mode": "cleanup"})
	if r.Failed || len(jobs.forgotten) != 1 || jobs.forgotten[0] != "j2@localhost" || r.Map()["erased"] != "j2" {
		t.Errorf("cleanup: %v, forgotten %v", r.Map(), jobs.forgotten)
	}
	for _, c := range []context.Context{ctx, context.Background()} {
		r = runAsyncStatus(t, c, map[string]any{"jid": "j9"})
		if !r.Failed || !strings.Contains(r.Msg, `could not find job "j9" for host localhost`) {
			t.Errorf("unknown job: %+v", r)
		}
	}
}
