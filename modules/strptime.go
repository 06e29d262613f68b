package modules

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Python's time.strptime, as Ansible's file module reads access_time and
// modification_time with it: each directive becomes the same regular
// expression Python's _strptime builds (case-insensitive, whitespace in the
// format matching any run of whitespace), matched from the start of the
// value; text left over is an error, as in Python. Names of months, days
// and AM/PM are the C locale's.

var (
	pyMonths   = []string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}
	pyWeekdays = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
)

// pyAlternatives is Python's __seqToRE: the names, longest first, as alternatives.
func pyAlternatives(names []string) string {
	sorted := append([]string(nil), names...)
	for i := 1; i < len(sorted); i++ { // insertion sort, stable by length descending
		for j := i; j > 0 && len(sorted[j]) > len(sorted[j-1]); j-- {
			sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
		}
	}
	return strings.Join(sorted, "|")
}

func abbreviations(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n[:3]
	}
	return out
}

// pyDirectives are the directives supported, with Python's expressions.
var pyDirectives = map[byte]string{
	'd': `3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9]`,
	'f': `[0-9]{1,6}`,
	'H': `2[0-3]|[0-1]\d|\d`,
	'I': `1[0-2]|0[1-9]|[1-9]`,
	'j': `36[0-6]|3[0-5]\d|[1-2]\d\d|0[1-9]\d|00[1-9]|[1-9]\d|0[1-9]|[1-9]`,
	'm': `1[0-2]|0[1-9]|[1-9]`,
	'M': `[0-5]\d|\d`,
	'S': `6[0-1]|[0-5]\d|\d`,
	'w': `[0-6]`,
	'u': `[1-7]`,
	'y': `\d\d`,
	'Y': `\d\d\d\d`,
	'z': `[+-]\d\d:?[0-5]\d(?::?[0-5]\d(?:\.\d{1,6})?)?|Z`,
	'A': pyAlternatives(pyWeekdays),
	'a': pyAlternatives(abbreviations(pyWeekdays)),
	'B': pyAlternatives(pyMonths),
	'b': pyAlternatives(abbreviations(pyMonths)),
	'p': `am|pm`,
}

var pyWhitespace = regexp.MustCompile(`\s+`)

// pyTimeRegexp builds the expression Python matches value against.
func pyTimeRegexp(format string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`(?i)^`)
	literal := func(s string) {
		parts := pyWhitespace.Split(s, -1)
		for i, p := range parts {
			if i > 0 {
				b.WriteString(`\s+`)
			}
			b.WriteString(regexp.QuoteMeta(p))
		}
	}
	for {
		i := strings.IndexByte(format, '%')
		if i < 0 {
			literal(format)
			break
		}
		literal(format[:i])
		if i+1 >= len(format) {
			return nil, fmt.Errorf("stray %% at the end of format %q", format)
		}
		c := format[i+1]
		switch expr, ok := pyDirectives[c]; {
		case c == '%':
			b.WriteString("%")
		case !ok:
			return nil, fmt.Errorf("%%%c is not a directive runbook reads in format %q (it reads %%Y %%y %%m %%d %%H %%I %%p %%M %%S %%f %%j %%b %%B %%a %%A %%w %%u %%z %%%%)", c, format)
		case strings.Contains(b.String(), "(?P<"+string(c)+">"):
			return nil, fmt.Errorf("%%%c appears twice in format %q", c, format)
		default:
			fmt.Fprintf(&b, "(?P<%c>%s)", c, expr)
		}
		format = format[i+2:]
	}
	return regexp.Compile(b.String())
}

// pyStrptime reads value as time.strptime(value, format) does and returns
// the wall-clock time it names, in no particular zone (Ansible hands it to
// time.mktime: the host's local time, a %z offset ignored).
func pyStrptime(value, format string) (time.Time, error) {
	re, err := pyTimeRegexp(format)
	if err != nil {
		return time.Time{}, err
	}
	loc := re.FindStringSubmatchIndex(value)
	if loc == nil {
		return time.Time{}, fmt.Errorf("time data %q does not match format %q", value, format)
	}
	if loc[1] != len(value) {
		return time.Time{}, fmt.Errorf("unconverted data remains: %s", value[loc[1]:])
	}
	got := map[string]string{}
	for i, name := range re.SubexpNames() {
		if name != "" && loc[2*i] >= 0 {
			got[name] = strings.ToLower(value[loc[2*i]:loc[2*i+1]])
		}
	}
	num := func(k string, def int) int {
		if v, ok := got[k]; ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
		return def
	}
	year, month, day := num("Y", 1900), num("m", 1), num("d", 1)
	if y, ok := got["y"]; ok {
		year, _ = strconv.Atoi(y)
		if year <= 68 {
			year += 2000
		} else {
			year += 1900
		}
	}
	for k, names := range map[string][]string{"B": pyMonths, "b": abbreviations(pyMonths)} {
		for i, n := range names {
			if got[k] == n {
				month = i + 1
			}
		}
	}
	hour := num("H", 0)
	if _, ok := got["I"]; ok {
		hour = num("I", 0)
		switch {
		case got["p"] == "pm" && hour != 12:
			hour += 12
		case got["p"] != "pm" && hour == 12:
			hour = 0
		}
	}
	if j, ok := got["j"]; ok && got["m"] == "" && got["d"] == "" && got["b"] == "" && got["B"] == "" {
		n, _ := strconv.Atoi(j)
		t := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n-1)
		month, day = int(t.Month()), t.Day()
	}
	if d := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC); d.Day() != day || int(d.Month()) != month {
		return time.Time{}, fmt.Errorf("day is out of range for month in %q", value)
	}
	return time.Date(year, time.Month(month), day, hour, num("M", 0), num("S", 0), 0, time.UTC), nil
}
