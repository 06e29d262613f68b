package runner

// Background tasks (async: N with poll: 0): the task runs in a goroutine of
// this run, and async_status reads its result from the job table.

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/runbook-dev/runbook/modules"
	"github.com/runbook-dev/runbook/runner/playbook"
	"github.com/runbook-dev/runbook/runner/report"
)

// jobTable is the run's background tasks, by job id and host.
type jobTable struct {
	mu      sync.Mutex
	n       int
	jobs    map[string]*asyncJob
	running sync.WaitGroup
	cancels []context.CancelFunc
}

type asyncJob struct {
	host   string
	done   chan struct{}
	result map[string]any // set before done is closed
}

// Job implements modules.AsyncJobs.
func (j *jobTable) Job(jid, host string) (modules.AsyncJob, bool) {
	j.mu.Lock()
	job, ok := j.jobs[jid]
	j.mu.Unlock()
	if !ok || job.host != host {
		return modules.AsyncJob{}, false
	}
	select {
	case <-job.done:
		return modules.AsyncJob{Finished: true, Result: job.result}, true
	default:
		return modules.AsyncJob{}, true
	}
}

// Forget implements modules.AsyncJobs.
func (j *jobTable) Forget(jid, host string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if job, ok := j.jobs[jid]; ok && job.host == host {
		delete(j.jobs, jid)
	}
}

func (j *jobTable) add(host string) (string, *asyncJob) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.jobs == nil {
		j.jobs = map[string]*asyncJob{}
	}
	j.n++
	jid := fmt.Sprintf("j%d.%d", time.Now().UnixNano()%1e12, os.Getpid()*1000+j.n)
	job := &asyncJob{host: host, done: make(chan struct{})}
	j.jobs[jid] = job
	return jid, job
}

// background reports whether t is left running (async with poll: 0).
func background(t *playbook.Task) bool {
	return t.Async > 0 && t.Poll != nil && *t.Poll == 0
}

// startAsync starts t on the host in the background, limited to async
// seconds, and returns at once with the job's id, as Ansible's poll: 0
// does. A task whose when: is false is skipped instead.
func (ht *hostTask) startAsync(ctx context.Context, vars map[string]any) itemResult {
	e, h, t, sc := ht.e, ht.h, ht.t, ht.sc
	if ok, err := e.conditionsHold(sc, t, vars); err != nil || !ok {
		return ht.runItem(ctx, vars) // skips or reports the condition's error
	}
	jid, job := e.jobs.add(h.name)
	jctx, cancel := context.WithTimeout(ctx, time.Duration(t.Async)*time.Second)
	e.jobs.mu.Lock()
	e.jobs.cancels = append(e.jobs.cancels, cancel)
	e.jobs.mu.Unlock()
	e.jobs.running.Add(1)
	go func() {
		defer e.jobs.running.Done()
		defer cancel()
		r := ht.runItem(jctx, vars)
		if errorsIsDeadline(jctx) && r.status == report.StatusFailed {
			r.result = copyMap(r.result)
			r.result["msg"] = t.AsyncTimeoutMessage()
		}
		job.result = r.result
		close(job.done)
	}()
	return itemResult{status: report.StatusChanged, changed: true, result: map[string]any{
		"ansible_job_id": jid, "started": 1, "finished": 0, "changed": true, "failed": false,
	}}
}

// stop ends the jobs still running when the run ends (nothing is left
// running on the hosts behind runbook's back) and waits for them.
func (j *jobTable) stop() {
	j.mu.Lock()
	for _, c := range j.cancels {
		c()
	}
	j.mu.Unlock()
	j.running.Wait()
}
