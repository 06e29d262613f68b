package modules

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
)

func init() { Register(cronModule{}) }

type cronModule struct{}

var cronSpec = &Spec{
	Name:  "cron",
	Short: "Manage cron jobs and cron environment variables",
	Doc: "Keeps a job, marked by a \"#Ansible: NAME\" line above it, or (env) a NAME=\"value\" line in a user's " +
		"crontab or in a cron_file, with Ansible's rules: a job is found by its marker, else by an identical line, " +
		"which then gets the marker; a job that differs is rewritten; state=absent removes it, and a cron_file left " +
		"empty is deleted. The crontab is read with crontab -l and installed with crontab - (-u USER when user " +
		"is not the task's user), on the host and with the task's environment (so PATH finds crontab); a " +
		"cron_file is written atomically, keeping its mode and owner (new: 0644). Check mode and --diff show the " +
		"change without making it.",
	Params: []Param{
		{Name: "name", Type: TypeString, Required: true, Doc: "The job's name (its marker line), or the variable's name with env."},
		{Name: "job", Type: TypeString, Aliases: []string{"value"}, Doc: "The command to run, or the variable's value with env (required with state=present)."},
		{Name: "state", Type: TypeString, Default: "present", Choices: []string{"present", "absent"}, Doc: "Whether the job or variable is there."},
		{Name: "user", Type: TypeString, Doc: "Whose crontab (default: the task's user); with cron_file, the user column (required)."},
		{Name: "cron_file", Type: TypePath, Doc: "A file in /etc/cron.d (a name), or an absolute path, instead of a user's crontab. Not /etc/crontab."},
		{Name: "minute", Type: TypeString, Default: "*", Doc: "Minute field."},
		{Name: "hour", Type: TypeString, Default: "*", Doc: "Hour field."},
		{Name: "day", Type: TypeString, Default: "*", Aliases: []string{"dom"}, Doc: "Day of the month field."},
		{Name: "month", Type: TypeString, Default: "*", Doc: "Month field."},
		{Name: "weekday", Type: TypeString, Default: "*", Aliases: []string{"dow"}, Doc: "Day of the week field."},
		{Name: "special_time", Type: TypeString, Choices: []string{"reboot", "yearly", "annually", "monthly", "weekly", "daily", "hourly"},
			Doc: "@reboot, @daily, ... instead of the five time fields."},
		{Name: "disabled", Type: TypeBool, Default: false, Doc: "Keep the job commented out (#)."},
		{Name: "env", Type: TypeBool, Default: false, Doc: "Manage the environment variable name=\"job\" instead of a job."},
		{Name: "insertafter", Type: TypeString, Doc: "With env, put a new variable after the variable of this name (else first)."},
		{Name: "insertbefore", Type: TypeString, Doc: "With env, put a new variable before the variable of this name."},
		{Name: "backup", Type: TypeBool, Default: false, Doc: "Before changing it, copy the crontab to a temporary file on the host (crontabXXXXXXXX); its path is returned."},
	},
	Check: CheckFull,
	Returns: []Return{
		{Name: "jobs", Type: TypeList, Doc: "The names of the jobs in the crontab (after the change)."},
		{Name: "envs", Type: TypeList, Doc: "The names of the variables in it."},
		{Name: "cron_file", Type: TypeString, Doc: "cron_file, as given."},
		{Name: "backup_file", Type: TypeString, Doc: "The backup's path, when one was made."},
		{Name: "warnings", Type: TypeList, Doc: "Ansible's warnings (a job with a line break, an odd cron_file name)."},
	},
	Example: `- cron:
    name: rotate registry logs
    minute: "0"
    hour: "3"
    job: /usr/local/bin/rotate-registry-logs

- cron:
    name: PATH
    env: true
    job: /usr/local/bin:/usr/bin:/bin
    cron_file: registry
    user: root`,
	Validate: func(a Args) error {
		switch {
		case a.Has("insertafter") && a.Has("insertbefore"):
			return errors.New("parameters are mutually exclusive: insertafter|insertbefore")
		case a.String("cron_file") == "/etc/crontab":
			return errors.New("will not manage /etc/crontab via cron_file, see the documentation")
		case a.Has("special_time") && cronTimesGiven(a):
			return errors.New("you must specify time and date fields or special time")
		case a.String("state") == "absent":
			return nil
		case a.Has("cron_file") && !a.Has("user"):
			return errors.New("to use cron_file=... parameter you must specify user=... as well")
		case !a.Has("job"):
			return errors.New("you must specify 'job' to install a new cron job or variable")
		case (a.Has("insertafter") || a.Has("insertbefore")) && !a.Bool("env"):
			return errors.New("insertafter and insertbefore parameters are valid only with env=yes")
		}
		return nil
	},
}

func (cronModule) Spec() *Spec { return cronSpec }

func cronTimesGiven(a Args) bool {
	for _, k := range []string{"minute", "hour", "day", "month", "weekday"} {
		if a.String(k) != "*" {
			return true
		}
	}
	return false
}

var cronFileName = regexp.MustCompile(`(?i)^[A-Z0-9_-]+$`)

func (cronModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	name, user, present := args.String("name"), args.String("user"), args.String("state") == "present"
	warnings := []any{}
	where := &cronWhere{user: user}
	if args.Has("cron_file") {
		f := args.String("cron_file")
		if !path.IsAbs(f) && !strings.HasPrefix(f, "~") {
			f = path.Join("/etc/cron.d", f)
		}
		p, err := textHostPath(ctx, mc, "cron", f)
		if err != nil {
			return nil, err
		}
		where.file = p
		if base := path.Base(p); !cronFileName.MatchString(base) {
			warnings = append(warnings, fmt.Sprintf("Filename portion of cron_file (\"%s\") should consist solely of upper- and lower-case letters, digits, underscores, and hyphens", base))
		}
	}
	ct, err := where.read(ctx, mc)
	if err != nil {
		return nil, err
	}
	original := ct.render()
	changed := false
	switch {
	case args.Bool("env"):
		var fail string
		if changed, fail = cronEnv(ct, args, present); fail != "" {
			return &Result{Failed: true, Msg: fail}, nil
		}
	case present:
		job := args.String("job")
		if strings.ContainsAny(strings.Trim(job, "\r\n"), "\r\n") {
			warnings = append(warnings, "Job should not contain line breaks")
		}
		job = cronLine(args, user, where.file != "")
		old, found, inserted := ct.findJob(name, job)
		switch {
		case !found:
			ct.addJob(name, job)
			changed = true
		case old != job || inserted:
			ct.updateJob(name, job, false)
			changed = true
		}
	default:
		if _, found, _ := ct.findJob(name, ""); found {
			ct.updateJob(name, "", true)
			changed = true
			if where.file != "" && ct.empty() {
				return where.removeFile(ctx, mc, args)
			}
		}
	}
	if !changed && ct.existing != "" && !strings.HasSuffix(ct.existing, "\n") && !strings.HasSuffix(ct.existing, "\r") {
		changed = true // a missing final newline is added
	}
	r := &Result{Changed: changed, Data: map[string]any{"jobs": ct.jobNames(), "envs": ct.envNames(), "warnings": warnings}}
	if args.Has("cron_file") {
		r.Data["cron_file"] = args.String("cron_file")
	}
	if !changed {
		return r, nil
	}
	if mc.Diff {
		r.Diff = []Diff{{BeforeHeader: where.header(), AfterHeader: where.header(), Before: ct.existing, After: ct.render()}}
	}
	if mc.Check {
		return r, nil
	}
	if args.Bool("backup") {
		if r.Data["backup_file"], err = where.backup(ctx, mc, original); err != nil {
			return nil, err
		}
	}
	if err := where.write(ctx, mc, ct.render()); err != nil {
		return nil, err
	}
	return r, nil
}

// cronLine is the job's crontab line: the time fields (or @special_time),
// the user column in a cron_file, the command; # first when disabled.
func cronLine(args Args, user string, file bool) string {
	var f []string
	if st := args.String("special_time"); st != "" {
		f = append(f, "@"+st)
	} else {
		for _, k := range []string{"minute", "hour", "day", "month", "weekday"} {
			f = append(f, args.String(k))
		}
	}
	if file {
		f = append(f, user)
	}
	line := strings.Join(append(f, strings.Trim(args.String("job"), "\r\n")), " ")
	if args.Bool("disabled") {
		line = "#" + line
	}
	return line
}

// cronEnv sets or removes the variable NAME="job"; it reports whether the
// crontab changed, or Ansible's message for a failure.
func cronEnv(ct *cronTab, args Args, present bool) (bool, string) {
	name := args.String("name")
	if strings.Contains(name, " ") {
		return false, "Invalid name for environment variable"
	}
	decl := fmt.Sprintf(`%s="%s"`, name, args.String("job"))
	at := ct.findEnv(name)
	switch {
	case !present:
		if at >= 0 {
			ct.setEnv(name, "", true)
		}
		return at >= 0, ""
	case at >= 0:
		if ct.lines[at] == decl {
			return false, ""
		}
		ct.setEnv(name, decl, false)
		return true, ""
	}
	other, after := args.String("insertbefore"), false
	if args.Has("insertafter") {
		other, after = args.String("insertafter"), true
	}
	if other == "" {
		ct.insert(0, decl)
		return true, ""
	}
	i := ct.findEnv(other)
	if i < 0 {
		return false, fmt.Sprintf("Variable named '%s' not found.", other)
	}
	if after {
		i++
	}
	ct.insert(i, decl)
	return true, ""
}
