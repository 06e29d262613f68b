package eval

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/expr-lang/expr/vm/runtime"
)

// Python's datetime.datetime and datetime.timedelta as expression values:
// to_datetime and now() give a DateTime, subtracting two gives a Timedelta.
// Their attributes (d.year, td.days) are struct fields named for expr;
// methods (d.strftime(f), td.total_seconds()) are translated into helper
// calls (jinja_filters_txt.go). In text they render as Python's str().

// DateTime is a Python datetime. Naive ones (the usual case) hold their
// wall clock in UTC, so that subtracting two compares wall clocks as
// Python does; aware ones (parsed with %z) keep their offset.
type DateTime struct {
	Year        int `expr:"year"`
	Month       int `expr:"month"`
	Day         int `expr:"day"`
	Hour        int `expr:"hour"`
	Minute      int `expr:"minute"`
	Second      int `expr:"second"`
	Microsecond int `expr:"microsecond"`

	t     time.Time `expr:"-"`
	aware bool      `expr:"-"`
}

func newDateTime(t time.Time, aware bool) DateTime {
	return DateTime{
		Year: t.Year(), Month: int(t.Month()), Day: t.Day(),
		Hour: t.Hour(), Minute: t.Minute(), Second: t.Second(), Microsecond: t.Nanosecond() / 1000,
		t: t, aware: aware,
	}
}

// String is Python's str(datetime): "2024-01-02 03:04:05[.ffffff][+hh:mm]".
func (d DateTime) String() string {
	s := d.t.Format("2006-01-02 15:04:05")
	if d.Microsecond != 0 {
		s += fmt.Sprintf(".%06d", d.Microsecond)
	}
	if d.aware {
		s += pyOffset(d.t, ":")
	}
	return s
}

// MarshalJSON writes the value as its text, as Ansible's output does.
func (d DateTime) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// Timedelta is a Python timedelta: days, seconds (0 to 86399) and
// microseconds (0 to 999999), normalised as Python does.
type Timedelta struct {
	Days         int `expr:"days"`
	Seconds      int `expr:"seconds"`
	Microseconds int `expr:"microseconds"`

	d time.Duration `expr:"-"`
}

func newTimedelta(d time.Duration) Timedelta {
	us := d.Microseconds()
	days := floorDiv(us, 86400e6)
	us -= days * 86400e6
	return Timedelta{Days: int(days), Seconds: int(us / 1e6), Microseconds: int(us % 1e6), d: d}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// String is Python's str(timedelta): "2 days, 12:00:00", "-1 day,
// 23:59:59", "0:00:01.500000".
func (td Timedelta) String() string {
	s := ""
	if td.Days != 0 {
		unit := "days"
		if td.Days == 1 || td.Days == -1 {
			unit = "day"
		}
		s = fmt.Sprintf("%d %s, ", td.Days, unit)
	}
	s += fmt.Sprintf("%d:%02d:%02d", td.Seconds/3600, td.Seconds/60%60, td.Seconds%60)
	if td.Microseconds != 0 {
		s += fmt.Sprintf(".%06d", td.Microseconds)
	}
	return s
}

// MarshalJSON writes the value as its text.
func (td Timedelta) MarshalJSON() ([]byte, error) { return json.Marshal(td.String()) }

// fnTotalSeconds is timedelta.total_seconds(): a float.
func fnTotalSeconds(args ...any) (any, error) {
	td, ok := args[0].(Timedelta)
	if !ok {
		return nil, fmt.Errorf("needs a timedelta (the difference of two datetimes), got %s", typeName(args[0]))
	}
	return float64(td.d.Microseconds()) / 1e6, nil
}

// fnToDatetime is Ansible's to_datetime(string, format='%Y-%m-%d
// %H:%M:%S'): Python's datetime.strptime.
func fnToDatetime(args ...any) (any, error) {
	format := "%Y-%m-%d %H:%M:%S"
	if f := argOr(args, 1); f != nil {
		format = str(f)
	}
	return strptime(str(args[0]), format)
}

// fnDateSub is a - b when either side is a DateTime or a Timedelta (the
// jinjaCompat patch sends every other subtraction to expr's own).
func fnDateSub(args ...any) (any, error) {
	switch a := args[0].(type) {
	case DateTime:
		switch b := args[1].(type) {
		case DateTime:
			if a.aware != b.aware {
				return nil, fmt.Errorf("can't subtract offset-naive and offset-aware datetimes")
			}
			return newTimedelta(a.t.Sub(b.t)), nil
		case Timedelta:
			return newDateTime(a.t.Add(-b.d), a.aware), nil
		}
	case Timedelta:
		if b, ok := args[1].(Timedelta); ok {
			return newTimedelta(a.d - b.d), nil
		}
	}
	return nil, fmt.Errorf("unsupported operand types for -: %s and %s", pyTypeName(args[0]), pyTypeName(args[1]))
}

var gmt = time.FixedZone("GMT", 0)

// fnCompare is a < b, a > b, a <= b or a >= b (the first argument names
// the operator): datetimes and time differences compare in time order,
// everything else as expr compares it.
func fnCompare(args ...any) (out any, err error) {
	op, a, b := str(args[0]), args[1], args[2]
	c, dated, err := compareDates(op, a, b)
	if err != nil {
		return nil, err
	}
	if dated {
		switch op {
		case "<":
			return c < 0, nil
		case ">":
			return c > 0, nil
		case "<=":
			return c <= 0, nil
		}
		return c >= 0, nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	switch op {
	case "<":
		return runtime.Less(a, b), nil
	case ">":
		return runtime.More(a, b), nil
	case "<=":
		return runtime.LessOrEqual(a, b), nil
	}
	return runtime.MoreOrEqual(a, b), nil
}

// compareDates compares two datetimes or two time differences (-1, 0, 1);
// dated is false when neither side is one.
func compareDates(op string, a, b any) (c int, dated bool, err error) {
	switch x := a.(type) {
	case DateTime:
		if y, ok := b.(DateTime); ok {
			if x.aware != y.aware {
				return 0, true, fmt.Errorf("can't compare offset-naive and offset-aware datetimes")
			}
			return x.t.Compare(y.t), true, nil
		}
	case Timedelta:
		if y, ok := b.(Timedelta); ok {
			return cmp.Compare(x.d, y.d), true, nil
		}
	default:
		switch b.(type) {
		case DateTime, Timedelta:
		default:
			return 0, false, nil
		}
	}
	return 0, true, fmt.Errorf("'%s' not supported between %s and %s", op, pyTypeName(a), pyTypeName(b))
}

// timeNow is the clock now() reads (tests set it).
var timeNow = time.Now

// fnNow is Ansible's now(utc=False, fmt=None): the controller's local (or
// UTC) time as a naive DateTime, or formatted with strftime's directives.
func fnNow(args ...any) (any, error) {
	t := timeNow()
	if Truthy(argOr(args, 0)) {
		t = t.UTC()
	}
	// Naive: the wall clock, held in UTC.
	t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/1000*1000, time.UTC)
	if f := argOr(args, 1); f != nil {
		return strftime(str(f), t, false), nil
	}
	return newDateTime(t, false), nil
}

// fnStrftime is Ansible's strftime(format, second=None, utc=False): the
// time given in seconds since the epoch (now when not given), local or UTC.
func fnStrftime(args ...any) (any, error) {
	t := timeNow()
	if sec := argOr(args, 1); sec != nil {
		f, err := toFloat(sec)
		if err != nil {
			return nil, fmt.Errorf("invalid value for epoch value (%s)", str(sec))
		}
		if math.IsNaN(f) || math.Abs(f) > 1e11 { // about 3000 years: a bound, not a date
			return nil, fmt.Errorf("epoch value %s is out of range", str(sec))
		}
		t = time.Unix(0, 0).Add(time.Duration(f * 1e9))
	}
	if Truthy(argOr(args, 2)) {
		t = t.In(gmt) // time.gmtime's zone is named GMT
	} else {
		t = t.Local()
	}
	// time.strftime takes whole seconds.
	return strftime(str(args[0]), t.Truncate(time.Second), true), nil
}

// fnDateMethod runs the datetime methods translated from d.name(args):
// strftime, isoformat, timestamp, weekday, isoweekday.
func fnDateMethod(args ...any) (any, error) {
	name := str(args[1])
	d, ok := args[0].(DateTime)
	if !ok {
		return nil, fmt.Errorf(".%s() needs a datetime (from to_datetime or now()), got %s", name, typeName(args[0]))
	}
	switch name {
	case "strftime":
		if len(args) != 3 {
			return nil, fmt.Errorf(".strftime() takes 1 argument (the format), got %d", len(args)-2)
		}
		return strftime(str(args[2]), d.t, d.aware), nil
	case "isoformat":
		s := d.t.Format("2006-01-02T15:04:05")
		if d.Microsecond != 0 {
			s += fmt.Sprintf(".%06d", d.Microsecond)
		}
		if d.aware {
			s += pyOffset(d.t, ":")
		}
		return s, nil
	case "timestamp":
		t := d.t
		if !d.aware { // a naive datetime is local time
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.Local)
		}
		return float64(t.UnixMicro()) / 1e6, nil
	case "weekday":
		return (int(d.t.Weekday()) + 6) % 7, nil
	case "isoweekday":
		return (int(d.t.Weekday())+6)%7 + 1, nil
	}
	return nil, fmt.Errorf("unknown datetime method .%s()", name)
}

// pyOffset is a UTC offset as %z writes it (+0100), or with sep as
// str(datetime) does (+01:00).
func pyOffset(t time.Time, sep string) string {
	_, off := t.Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	s := fmt.Sprintf("%c%02d%s%02d", sign, off/3600, sep, off/60%60)
	if off%60 != 0 {
		s += sep + strconv.Itoa(off%60)
	}
	return s
}
