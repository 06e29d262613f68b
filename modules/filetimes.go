package modules

// The file module's access_time and modification_time, as Ansible has
// them: "now", "preserve", or a time in the given format (Python strptime,
// strptime.go) taken as the host's local time. A time already right is
// left alone, so touch with fixed or preserved times is idempotent; "now"
// always changes.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/transport"
)

// pyTimeFormat is Ansible's default access_time_format and modification_time_format.
const pyTimeFormat = "%Y%m%d%H%M.%S"

// fileTimeParams are the file module's time parameters.
var fileTimeParams = []Param{
	{Name: "access_time", Type: TypeString,
		Doc: `"now", "preserve", or a time in access_time_format (the host's local time). Default: now for state touch, else preserve.`},
	{Name: "access_time_format", Type: TypeString, Default: pyTimeFormat,
		Doc: "Python strptime format of access_time (directives %Y %y %m %d %H %I %p %M %S %f %j %b %B %a %A %w %u %z %%)."},
	{Name: "modification_time", Type: TypeString,
		Doc: `"now", "preserve", or a time in modification_time_format (the host's local time). Default: now for state touch, else preserve.`},
	{Name: "modification_time_format", Type: TypeString, Default: pyTimeFormat,
		Doc: "Python strptime format of modification_time."},
}

// timeSpec is one asked time: "preserve", "now", or a wall-clock time
// ("2006-01-02 15:04:05") the host converts from its local time.
type timeSpec string

// fileTimes is what a file task asks of a path's times.
type fileTimes struct{ atime, mtime timeSpec }

func (t fileTimes) asked() bool { return t.atime != "preserve" || t.mtime != "preserve" }

// taskTimes reads the time parameters for state (the defaults are Ansible's).
func taskTimes(args Args, state string) (fileTimes, error) {
	read := func(name string) (timeSpec, error) {
		v := strings.TrimSpace(args.String(name))
		switch {
		case v == "" && state == "touch":
			return "now", nil
		case v == "":
			return "preserve", nil
		case v == "now" || v == "preserve":
			return timeSpec(v), nil
		}
		t, err := pyStrptime(v, args.String(name+"_format"))
		if err != nil {
			return "", &ArgError{Module: "file", Param: name, Msg: fmt.Sprintf("%q: %v (want now, preserve or a time in %s_format)", v, err, name)}
		}
		return timeSpec(t.Format(time.DateTime)), nil
	}
	var t fileTimes
	var err error
	if t.atime, err = read("access_time"); err == nil {
		t.mtime, err = read("modification_time")
	}
	return t, err
}

// timesQueryScript prints "H", the host's time now and the seconds since
// the epoch of $1 and $2 (each "preserve", "now" or a local wall-clock
// time), then for each further path "ATIME MTIME" (seconds.nanoseconds, of
// what a symbolic link points to) or "-" for a path gone or a dangling
// link. It runs under xargs, so the "H" line may come again.
const timesQueryScript = `export LC_ALL=C
conv() { case $1 in preserve|now) printf %s "$1";; *) date -d "$1" +%s;; esac; }
a=$(conv "$1") && m=$(conv "$2") || exit 5
shift 2
echo "H $(date +%s.%N) $a $m"
for p; do
  s=$(stat -L -c '%X %Y|%x|%y' -- "$p" 2>/dev/null) || { echo -; continue; }
  n=${s%%|*} r=${s#*|}
  x=${r%%|*} y=${r#*|}
  case $x in *.*) x=${x#*.} x=${x%% *};; *) x=0;; esac
  case $y in *.*) y=${y#*.} y=${y%% *};; *) y=0;; esac
  echo "${n% *}.$x ${n#* }.$y"
done`

// timeChange is one path whose times change.
type timeChange struct {
	path                 string
	before, after        [2]string // atime, mtime as seconds.nanoseconds
	setAtime, setMtime   string    // what touch -d gets ("@SECONDS"), "now", or "" to leave
	atimeDiff, mtimeDiff bool
}

// planTimes compares the times t asks with those of paths on the host, in
// one command, and returns the paths whose times change.
func planTimes(ctx context.Context, mc *Context, t fileTimes, paths []string) ([]timeChange, error) {
	if !t.asked() || len(paths) == 0 {
		return nil, nil
	}
	res, err := hostRun(ctx, mc, "reading access and modification times", &transport.Cmd{
		Args:  []string{"xargs", "-0", "/bin/sh", "-c", timesQueryScript, "runbook-times", string(t.atime), string(t.mtime)},
		Stdin: strings.NewReader(strings.Join(paths, "\x00"))})
	if err != nil {
		return nil, err
	}
	var head []string
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(string(res.Stdout), "\n"), "\n") {
		if h, ok := strings.CutPrefix(l, "H "); ok {
			head = strings.Fields(h)
		} else {
			lines = append(lines, l)
		}
	}
	if len(lines) != len(paths) || len(head) != 3 {
		return nil, fmt.Errorf("reading access and modification times: unexpected output %q", textFirstLine(res.Stdout))
	}
	now := head[0]
	var out []timeChange
	for i, p := range paths {
		cur := strings.Fields(lines[i])
		if len(cur) != 2 {
			continue // gone, or a link to nothing: no times to set (Ansible warns and skips)
		}
		c := timeChange{path: p, before: [2]string{cur[0], cur[1]}, after: [2]string{cur[0], cur[1]}}
		for k, spec := range []string{head[1], head[2]} {
			set := ""
			switch spec {
			case "preserve":
			case "now":
				set, c.after[k] = "now", now
			default:
				if !sameSecond(cur[k], spec) {
					set, c.after[k] = "@"+spec, spec+".000000000"
				}
			}
			if k == 0 {
				c.setAtime, c.atimeDiff = set, set != ""
			} else {
				c.setMtime, c.mtimeDiff = set, set != ""
			}
		}
		if c.atimeDiff || c.mtimeDiff {
			out = append(out, c)
		}
	}
	return out, nil
}

// sameSecond reports whether "SECONDS.NANOSECONDS" is exactly SECONDS.
func sameSecond(cur, sec string) bool {
	s, frac, _ := strings.Cut(cur, ".")
	return s == sec && strings.Trim(frac, "0") == ""
}

// applyTimes sets the times (nothing in check mode), with one touch per
// distinct value: "now" for both is a plain touch, which needs only write
// access, as utime(path, NULL) does in Ansible.
func applyTimes(ctx context.Context, mc *Context, changes []timeChange) error {
	if mc.Check {
		return nil
	}
	groups := map[string][]string{}
	var keys []string
	add := func(k, p string) {
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], p)
	}
	for _, c := range changes {
		if c.setAtime == "now" && c.setMtime == "now" {
			add("", c.path)
			continue
		}
		for i, set := range []string{c.setAtime, c.setMtime} {
			flag := []string{"-a", "-m"}[i]
			switch set {
			case "":
			case "now":
				add(flag, c.path)
			default:
				add(flag+" "+set, c.path)
			}
		}
	}
	for _, k := range keys {
		argv := append([]string{"xargs", "-0", "touch", "-c"}, strings.Fields(strings.Replace(k, "@", "-d @", 1))...)
		argv = append(argv, "--")
		stdin := strings.NewReader(strings.Join(groups[k], "\x00"))
		if _, err := hostRun(ctx, mc, "setting times with touch", &transport.Cmd{Args: argv, Stdin: stdin}); err != nil {
			return err
		}
	}
	return nil
}

// diffLines writes the times that change to the diff's two sides, each
// line after prefix.
func (c timeChange) diffLines(prefix string, before, after *strings.Builder) {
	for k, name := range []string{"atime", "mtime"} {
		if (k == 0 && c.atimeDiff) || (k == 1 && c.mtimeDiff) {
			fmt.Fprintf(before, "%s%s: %s\n", prefix, name, fmtEpoch(c.before[k]))
			fmt.Fprintf(after, "%s%s: %s\n", prefix, name, fmtEpoch(c.after[k]))
		}
	}
}

// fmtEpoch shows "SECONDS.NANOSECONDS" with the UTC time it is.
func fmtEpoch(v string) string {
	s, frac, _ := strings.Cut(v, ".")
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return v
	}
	ns, _ := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
	return fmt.Sprintf("%s (%s)", v, time.Unix(sec, ns).UTC().Format(time.RFC3339Nano))
}
