package modules

import (
	"context"
	"fmt"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

// findInspectScript looks into the regular files named on stdin (NUL
// separated), in one command: for each it prints "M C" and a NUL, where M
// is 1 when the file's content matches $1 (always 1 when $1 is empty) and
// C its SHA-1 when $3 is 1 and it matched ("-" otherwise). $2 is 1 to
// search the whole file (grep -z: one record) instead of matching $1 at
// the start of a line, as Python's re.search and re.match do.
const findInspectScript = `export LC_ALL=C
if [ -n "$1" ] && ! echo x | grep -qP x 2>/dev/null; then
  echo "contains needs grep -P (Perl-compatible regular expressions), which this host's grep lacks" >&2; exit 2
fi
xargs -0r sh -c '
pat=$1 whole=$2 sum=$3; shift 3
for f do
  m=1
  if [ -n "$pat" ]; then
    if [ "$whole" = 1 ]; then grep -qzP -e "$pat" -- "$f" 2>/dev/null || m=0
    else grep -qP -e "^(?:$pat)" -- "$f" 2>/dev/null || m=0; fi
  fi
  c=-
  if [ $m = 1 ] && [ "$sum" = 1 ]; then c=$(sha1sum -- "$f" 2>/dev/null) && c=${c#\\} && c=${c%% *} || c=-; fi
  printf "%s %s\0" "$m" "$c"
done' runbook-find "$1" "$2" "$3"`

// inspect runs findInspectScript on the entries that need their content
// read: contains drops those that do not match, get_checksum adds checksum.
func (w *findWalk) inspect(ctx context.Context, mc *Context) error {
	var todo []*findFound
	var names []string
	for _, f := range w.found {
		if f.content || f.sum {
			todo = append(todo, f)
			names = append(names, f.data["path"].(string))
		}
	}
	if len(todo) == 0 {
		return nil
	}
	pat, sum := "", "0"
	if todo[0].content { // content and sum are the same for every entry of a run
		pat = w.o.contains
	}
	if todo[0].sum {
		sum = "1"
	}
	whole := map[bool]string{true: "1", false: "0"}[w.o.wholeFile]
	res, err := hostRun(ctx, mc, "", &transport.Cmd{Args: []string{"/bin/sh", "-c", findInspectScript, "runbook-find", pat, whole, sum},
		Stdin: strings.NewReader(strings.Join(names, "\x00") + "\x00")})
	if err != nil {
		return fmt.Errorf("find on %s: reading the files found: %w", mc.Host, err)
	}
	out := strings.Split(strings.TrimSuffix(string(res.Stdout), "\x00"), "\x00")
	if len(out) != len(todo) {
		return fmt.Errorf("find on %s: reading the files found: unexpected output %q", mc.Host, textFirstLine(res.Stdout))
	}
	for i, f := range todo {
		m, c, _ := strings.Cut(out[i], " ")
		f.keep = m == "1"
		if f.sum && c != "-" {
			f.data["checksum"] = c
		}
	}
	return nil
}
