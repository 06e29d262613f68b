package modules

import (
	"context"
	"fmt"
)

func init() { Register(asyncStatusModule{}) }

type asyncStatusModule struct{}

var asyncStatusSpec = &Spec{
	Name:  "async_status",
	Short: "Check on a task started in the background (async with poll: 0)",
	Doc: "Reports whether the task started with async: N and poll: 0 — whose registered result holds " +
		"ansible_job_id — has finished: finished is 0 while it runs; once it has, the result is the task's " +
		"own (stdout, rc, changed, …) with finished 1, and async_status fails when the task failed. Use it with " +
		"until: to wait. Unlike Ansible, the background task is run by runbook itself (not by a process left on " +
		"the host), so it ends with the run: a job is only known to the run that started it, and one still " +
		"running when the playbook ends is stopped.",
	Params: []Param{
		{Name: "jid", Type: TypeString, Required: true, Doc: "The job's ansible_job_id."},
		{Name: "mode", Type: TypeString, Default: "status", Choices: []string{"status", "cleanup"},
			Doc: "status reports on the job; cleanup forgets it (a job that runs on is not stopped)."},
	},
	Check: CheckFull,
	Returns: []Return{
		{Name: "ansible_job_id", Type: TypeString, Doc: "The job's id."},
		{Name: "started", Type: TypeInt, Doc: "1: the job was started."},
		{Name: "finished", Type: TypeInt, Doc: "1 once the task has finished (its own return values are then merged in), else 0."},
		{Name: "erased", Type: TypeString, Doc: "mode=cleanup: the job's id, forgotten."},
	},
	Example: `- command: /usr/local/bin/long-migration
  async: 3600
  poll: 0
  register: migration

- name: Other work meanwhile
  command: /usr/local/bin/warm-cache

- async_status:
    jid: "{{ migration.ansible_job_id }}"
  register: job
  until: job.finished
  retries: 360
  delay: 10`,
}

func (asyncStatusModule) Spec() *Spec { return asyncStatusSpec }

// AsyncJob is what async_status learns of a background task: whether it has
// finished and, once it has, its registered result.
type AsyncJob struct {
	Finished bool
	Result   map[string]any
}

// AsyncJobs is the run's table of background tasks, which the runner hands
// to async_status through the context (WithAsyncJobs).
type AsyncJobs interface {
	// Job returns the job jid started for host, if there is one.
	Job(jid, host string) (AsyncJob, bool)
	// Forget drops the job from the table.
	Forget(jid, host string)
}

type asyncJobsKey struct{}

// WithAsyncJobs gives the modules run under ctx the run's background jobs.
func WithAsyncJobs(ctx context.Context, jobs AsyncJobs) context.Context {
	return context.WithValue(ctx, asyncJobsKey{}, jobs)
}

func (asyncStatusModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	jid := args.String("jid")
	jobs, _ := ctx.Value(asyncJobsKey{}).(AsyncJobs)
	job, ok := AsyncJob{}, false
	if jobs != nil {
		job, ok = jobs.Job(jid, mc.Host)
	}
	if !ok {
		return &Result{Failed: true, Msg: fmt.Sprintf("could not find job %q for host %s: async_status only knows the jobs this run "+
			"started (async: N with poll: 0) on the same host", jid, mc.Host), Data: map[string]any{"ansible_job_id": jid, "started": 1, "finished": 1}}, nil
	}
	if args.String("mode") == "cleanup" {
		jobs.Forget(jid, mc.Host)
		return &Result{Data: map[string]any{"ansible_job_id": jid, "erased": jid}}, nil
	}
	if !job.Finished {
		return &Result{Data: map[string]any{"ansible_job_id": jid, "started": 1, "finished": 0}}, nil
	}
	r := &Result{Data: map[string]any{}}
	for k, v := range job.Result {
		switch k {
		case "changed":
			r.Changed, _ = v.(bool)
		case "failed":
			r.Failed, _ = v.(bool)
		case "msg":
			if s, isStr := v.(string); isStr {
				r.Msg = s
				continue
			}
			r.Data[k] = v
		default:
			r.Data[k] = v
		}
	}
	r.Data["ansible_job_id"], r.Data["started"], r.Data["finished"] = jid, 1, 1
	return r, nil
}
