package eval

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Python's strftime and strptime directives (C locale), for to_datetime,
// strftime, now(fmt=…) and datetime.strftime().

// strftime formats t with C's strftime directives (%Y, %m, %d, %H, %M, %S,
// %f, %a, %A, %b, %B, %p, %I, %j, %y, %z, %Z, %e, %s, %c, %x, %X, %F, %T,
// %D, %R, %U, %W, %V, %G, %u, %w, …; the flags - and _ drop or
// space-pad a number). zone says whether t's zone is known: a naive
// datetime prints %z and %Z as nothing. An unknown directive is kept.
func strftime(format string, t time.Time, zone bool) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b.WriteByte(c)
			continue
		}
		start := i
		i++
		flag := byte(0)
		if format[i] == '-' || format[i] == '_' {
			flag = format[i]
			if i++; i == len(format) {
				b.WriteString(format[start:])
				break
			}
		}
		s, ok := strftimeOne(format[i], t, zone, flag)
		if !ok {
			s = format[start : i+1]
		}
		b.WriteString(s)
	}
	return b.String()
}

// pad writes n in width digits, or as the flag says.
func pad(n, width int, flag byte, space bool) string {
	s := strconv.Itoa(n)
	switch {
	case flag == '-':
		return s
	case flag == '_' || space:
		return strings.Repeat(" ", max(width-len(s), 0)) + s
	}
	return strings.Repeat("0", max(width-len(s), 0)) + s
}

func strftimeOne(c byte, t time.Time, zone bool, flag byte) (string, bool) {
	hour12 := (t.Hour()+11)%12 + 1
	yday := t.YearDay() - 1
	wday := int(t.Weekday())
	switch c {
	case 'Y':
		return pad(t.Year(), 1, flag, false), true
	case 'y':
		return pad(t.Year()%100, 2, flag, false), true
	case 'C':
		return pad(t.Year()/100, 2, flag, false), true
	case 'm':
		return pad(int(t.Month()), 2, flag, false), true
	case 'd':
		return pad(t.Day(), 2, flag, false), true
	case 'e':
		return pad(t.Day(), 2, flag, true), true
	case 'H':
		return pad(t.Hour(), 2, flag, false), true
	case 'k':
		return pad(t.Hour(), 2, flag, true), true
	case 'I':
		return pad(hour12, 2, flag, false), true
	case 'l':
		return pad(hour12, 2, flag, true), true
	case 'M':
		return pad(t.Minute(), 2, flag, false), true
	case 'S':
		return pad(t.Second(), 2, flag, false), true
	case 'f':
		return fmt.Sprintf("%06d", t.Nanosecond()/1000), true
	case 'j':
		return pad(yday+1, 3, flag, false), true
	case 'a':
		return t.Format("Mon"), true
	case 'A':
		return t.Format("Monday"), true
	case 'b', 'h':
		return t.Format("Jan"), true
	case 'B':
		return t.Format("January"), true
	case 'p':
		return t.Format("PM"), true
	case 'P':
		return strings.ToLower(t.Format("PM")), true
	case 'w':
		return strconv.Itoa(wday), true
	case 'u':
		return strconv.Itoa((wday+6)%7 + 1), true
	case 'U':
		return pad((yday+7-wday)/7, 2, flag, false), true
	case 'W':
		return pad((yday+7-(wday+6)%7)/7, 2, flag, false), true
	case 'V':
		_, w := t.ISOWeek()
		return pad(w, 2, flag, false), true
	case 'G':
		y, _ := t.ISOWeek()
		return pad(y, 1, flag, false), true
	case 'g':
		y, _ := t.ISOWeek()
		return pad(y%100, 2, flag, false), true
	case 's':
		if !zone { // a naive datetime is local time
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.Local)
		}
		return strconv.FormatInt(t.Unix(), 10), true
	case 'z':
		if !zone {
			return "", true
		}
		return pyOffset(t, ""), true
	case 'Z':
		if !zone {
			return "", true
		}
		name, _ := t.Zone()
		return name, true
	case 'c':
		return strftime("%a %b %e %H:%M:%S %Y", t, zone), true
	case 'x', 'D':
		return strftime("%m/%d/%y", t, zone), true
	case 'X', 'T':
		return strftime("%H:%M:%S", t, zone), true
	case 'F':
		return strftime("%Y-%m-%d", t, zone), true
	case 'R':
		return strftime("%H:%M", t, zone), true
	case 'r':
		return strftime("%I:%M:%S %p", t, zone), true
	case 'n':
		return "\n", true
	case 't':
		return "\t", true
	case '%':
		return "%", true
	}
	return "", false
}

// strptimeDirectives are the patterns of Python's _strptime.TimeRE.
var strptimeDirectives = map[byte]string{
	'd': `(?P<d>3[01]|[12]\d|0[1-9]|[1-9]| [1-9])`,
	'f': `(?P<f>[0-9]{1,6})`,
	'H': `(?P<H>2[0-3]|[0-1]\d|\d)`,
	'I': `(?P<I>1[0-2]|0[1-9]|[1-9])`,
	'j': `(?P<j>36[0-6]|3[0-5]\d|[12]\d\d|0[1-9]\d|00[1-9]|[1-9]\d|0[1-9]|[1-9])`,
	'm': `(?P<m>1[0-2]|0[1-9]|[1-9])`,
	'M': `(?P<M>[0-5]\d|\d)`,
	'S': `(?P<S>6[0-1]|[0-5]\d|\d)`,
	'w': `(?P<w>[0-6])`,
	'u': `(?P<u>[1-7])`,
	'y': `(?P<y>\d\d)`,
	'Y': `(?P<Y>\d\d\d\d)`,
	'z': `(?P<z>[+-]\d\d:?[0-5]\d(?::?[0-5]\d(?:\.\d{1,6})?)?|Z)`,
	'a': `(?P<a>monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun)`,
	'A': `(?P<A>monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun)`,
	'b': `(?P<b>january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec)`,
	'B': `(?P<B>january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec)`,
	'p': `(?P<p>am|pm)`,
	'%': `%`,
}

// strptimeShorthands expand as in Python's _strptime (C locale).
var strptimeShorthands = map[byte]string{'c': "%a %b %d %H:%M:%S %Y", 'x': "%m/%d/%y", 'X': "%H:%M:%S", 'D': "%m/%d/%y", 'T': "%H:%M:%S", 'R': "%H:%M", 'F': "%Y-%m-%d", 'h': "%b"}

var strptimeCache = newCache[*regexp.Regexp](200)

// strptimeRE compiles a format into the pattern Python builds for it:
// each directive its group, whitespace any run of whitespace, the rest
// literal, case-insensitive.
func strptimeRE(format string) (*regexp.Regexp, error) {
	if re, ok := strptimeCache.get(format); ok {
		return re, nil
	}
	key := format
	format = expandShorthands(format)
	var b strings.Builder
	b.WriteString(`(?i)^`)
	seen := map[byte]bool{}
	for i := 0; i < len(format); i++ {
		c := format[i]
		switch {
		case c == '%' && i+1 < len(format):
			i++
			d, ok := strptimeDirectives[format[i]]
			if !ok {
				return nil, fmt.Errorf("'%c' is a bad directive in format '%s'", format[i], format)
			}
			if seen[format[i]] && format[i] != '%' {
				return nil, fmt.Errorf("redefinition of directive %%%c in format '%s'", format[i], format)
			}
			seen[format[i]] = true
			b.WriteString(d)
		case c == '%':
			return nil, fmt.Errorf("stray %% in format '%s'", format)
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			for i+1 < len(format) && strings.IndexByte(" \t\n\r\v\f", format[i+1]) >= 0 {
				i++
			}
			b.WriteString(`\s+`)
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("format '%s': %w", format, err)
	}
	return strptimeCache.put(key, re), nil
}

// expandShorthands replaces %c, %x, %X, %D, %T, %R, %F and %h by what they
// stand for (a "%%" is left alone).
func expandShorthands(format string) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		if format[i] == '%' && i+1 < len(format) {
			i++
			if x, ok := strptimeShorthands[format[i]]; ok {
				b.WriteString(x)
			} else {
				b.WriteString(format[i-1 : i+1])
			}
			continue
		}
		b.WriteByte(format[i])
	}
	return b.String()
}

// strptime is Python's datetime.strptime.
func strptime(s, format string) (DateTime, error) {
	re, err := strptimeRE(format)
	if err != nil {
		return DateTime{}, err
	}
	m := re.FindStringSubmatch(s)
	if m == nil {
		return DateTime{}, fmt.Errorf("time data %q does not match format %q", s, format)
	}
	if len(m[0]) != len(s) {
		return DateTime{}, fmt.Errorf("unconverted data remains: %s", s[len(m[0]):])
	}
	f := map[string]string{}
	for i, name := range re.SubexpNames() {
		if name != "" && m[i] != "" {
			f[name] = m[i]
		}
	}
	num := func(k string, def int) int {
		if v, ok := f[k]; ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
		return def
	}
	year := num("Y", 1900)
	if y, ok := f["y"]; ok {
		n, _ := strconv.Atoi(y)
		year = 1900 + n // POSIX: 69-99 are 19xx, 00-68 20xx
		if n <= 68 {
			year = 2000 + n
		}
	}
	month := num("m", 1)
	for _, k := range []string{"b", "B"} {
		if name, ok := f[k]; ok {
			month = monthNumber(name)
		}
	}
	hour := num("H", 0)
	if _, ok := f["I"]; ok {
		hour = num("I", 12) % 12
		if strings.EqualFold(f["p"], "pm") {
			hour += 12
		}
	}
	micro := 0
	if v, ok := f["f"]; ok {
		micro, _ = strconv.Atoi(v + strings.Repeat("0", 6-len(v)))
	}
	day := num("d", 1)
	loc, aware := time.UTC, false
	if z, ok := f["z"]; ok {
		loc, aware = parseOffset(z), true
	}
	t := time.Date(year, time.Month(month), day, hour, num("M", 0), num("S", 0), micro*1000, loc)
	if _, ok := f["j"]; ok && f["d"] == "" && f["m"] == "" {
		t = time.Date(year, 1, num("j", 1), hour, num("M", 0), num("S", 0), micro*1000, loc)
	}
	if t.Day() != day && f["j"] == "" {
		return DateTime{}, fmt.Errorf("day is out of range for month (%q with format %q)", s, format)
	}
	return newDateTime(t, aware), nil
}

func monthNumber(name string) int {
	prefix := strings.ToLower(name[:3])
	for m := time.January; m <= time.December; m++ {
		if strings.ToLower(m.String()[:3]) == prefix {
			return int(m)
		}
	}
	return 1
}

// parseOffset reads %z: Z, +hhmm, +hh:mm, +hh:mm:ss.
func parseOffset(z string) *time.Location {
	if strings.EqualFold(z, "z") {
		return time.FixedZone("UTC", 0)
	}
	digits := strings.ReplaceAll(z[1:], ":", "")
	if dot := strings.IndexByte(digits, '.'); dot >= 0 {
		digits = digits[:dot]
	}
	h, _ := strconv.Atoi(digits[0:2])
	m, _ := strconv.Atoi(digits[2:4])
	sec := 0
	if len(digits) >= 6 {
		sec, _ = strconv.Atoi(digits[4:6])
	}
	off := h*3600 + m*60 + sec
	if z[0] == '-' {
		off = -off
	}
	return time.FixedZone("", off)
}
