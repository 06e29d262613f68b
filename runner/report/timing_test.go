package report

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// collect keeps the events it is given.
type collect struct {
	mu     sync.Mutex
	events []Event
}

func (c *collect) Emit(e Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, e)
}

func TestTimerSummarisesSlowestTasksAndHosts(t *testing.T) {
	t0 := time.Now()
	s := func(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }
	result := func(task, path, host string, end, dur float64) Event {
		return Event{Type: EventHostResult, Time: s(end), Task: task, TaskPath: path, Host: host, Duration: dur, Status: StatusOK}
	}
	next := &collect{}
	tm := NewTimer(next)
	events := []Event{
		{Type: EventTaskStart, Time: s(0), Task: "quick", TaskPath: "site.yaml:3:7"},
		result("quick", "site.yaml:3:7", "h1", 0.1, 0.1),
		result("quick", "site.yaml:3:7", "h2", 0.2, 0.2),
		{Type: EventTaskStart, Time: s(0.2), Task: "slow", TaskPath: "site.yaml:5:7"},
		{Type: EventHostResult, Time: s(1), Task: "slow", TaskPath: "site.yaml:5:7", Host: "h1", IsItem: true}, // an item: not counted
		result("slow", "site.yaml:5:7", "h1", 1.2, 1),
		result("slow", "site.yaml:5:7", "h2", 3.2, 3),
		{Type: EventRecap},
	}
	for _, e := range events {
		tm.Emit(e)
	}
	if len(next.events) != len(events)+1 || next.events[len(events)-1].Type != EventRecap {
		t.Fatalf("events passed on: %v", next.events)
	}
	got := next.events[len(events)]
	want := &Timing{
		Tasks: []TaskTiming{{Task: "slow", TaskPath: "site.yaml:5:7", Total: 3, Max: 3, MaxHost: "h2"},
			{Task: "quick", TaskPath: "site.yaml:3:7", Total: 0.2, Max: 0.2, MaxHost: "h2"}},
		Hosts: []HostTiming{{Host: "h2", Total: 3.2}, {Host: "h1", Total: 1.1}},
	}
	if got.Type != EventTiming || !reflect.DeepEqual(got.Timing, want) {
		t.Fatalf("timing %+v\nwant %+v", got.Timing, want)
	}

	var b strings.Builder
	NewText(TextOptions{Out: &b}).Emit(got)
	wantText := "SLOWEST TASKS ******************************************************************\n" +
		"slow (site.yaml:5) ------------------------------------- 3.00s (max 3.00s on h2)\n" +
		"quick (site.yaml:3) ------------------------------------ 0.20s (max 0.20s on h2)\n" +
		"\nSLOWEST HOSTS ******************************************************************\n" +
		"h2 ----------------------------------------------------------------------- 3.20s\n" +
		"h1 ----------------------------------------------------------------------- 1.10s\n\n"
	if b.String() != wantText {
		t.Errorf("text:\n%s\nwant:\n%s", b.String(), wantText)
	}
}

func TestTimerListsTheTopTen(t *testing.T) {
	next := &collect{}
	tm := NewTimer(next)
	t0 := time.Now()
	for i := range 12 {
		path := fmt.Sprintf("site.yaml:%d:7", i+1)
		tm.Emit(Event{Type: EventTaskStart, Time: t0, Task: fmt.Sprint("t", i), TaskPath: path})
		tm.Emit(Event{Type: EventHostResult, Time: t0.Add(time.Duration(i) * time.Second), Task: fmt.Sprint("t", i),
			TaskPath: path, Host: fmt.Sprint("h", i), Duration: float64(i)})
	}
	tm.Emit(Event{Type: EventRecap})
	got := next.events[len(next.events)-1].Timing
	if len(got.Tasks) != TimingTop || len(got.Hosts) != TimingTop || got.Tasks[0].Task != "t11" || got.Hosts[0].Host != "h11" ||
		got.Tasks[9].Task != "t2" {
		t.Errorf("%+v", got)
	}
}

func TestFileLine(t *testing.T) {
	for in, want := range map[string]string{"site.yaml:3:7": "site.yaml:3", "a:b/site.yaml:3:7": "a:b/site.yaml:3",
		"site.yaml:3": "site.yaml:3", "line 4": "line 4", "": ""} {
		if got := fileLine(in); got != want {
			t.Errorf("fileLine(%q) = %q, want %q", in, got, want)
		}
	}
}
