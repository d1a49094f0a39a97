package flowdraft

import (
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/discovery"
	"github.com/flowlab/flowlab/flow"
)

// ev is an event of a hand-made case: its activity, minutes after the
// previous event, its group and resource.
type ev struct {
	act     string
	after   int
	group   string
	resouce string
}

func handCase(id string, day int, evs ...ev) discovery.Case {
	t := time.Date(2026, 3, 1+day, 9, 0, 0, 0, time.UTC)
	c := discovery.Case{ID: id}
	for _, e := range evs {
		t = t.Add(time.Duration(e.after) * time.Minute)
		c.Events = append(c.Events, discovery.Event{Activity: e.act, Time: t, Group: e.group, Resource: e.resouce})
	}
	return c
}

// handLog: 11 cases. Five take submit → review → close, three loop back
// from ask to review, two start by phone, one takes a rare detour (left
// out at 90 %: 10 of 11 cases are 90.9 %).
func handLog() discovery.Log {
	var l discovery.Log
	n := 0
	add := func(times int, evs ...ev) {
		for range times {
			n++
			l.Cases = append(l.Cases, handCase(fmt.Sprintf("c%02d", n), n, evs...))
		}
	}
	submit := ev{"Submit form", 0, "Front Desk", "sue"}
	review := func(after int) ev { return ev{"Review", after, "back", "bob"} }
	closing := ev{"Close", 130, "", "ann"}
	add(5, submit, review(70), closing)
	add(3, submit, review(20), ev{"Ask customer", 10, "back", "bob"}, review(3000), closing)
	add(2, ev{"Phone call", 0, "", "zed"}, review(40), closing)
	add(1, submit, ev{"Weird detour", 5, "", "x"}, closing)
	return l
}

func TestDraftOnAHandMadeLog(t *testing.T) {
	l := handLog()
	d, err := Draft(l, Options{LogName: "Small helpdesk 2026", DepartmentOf: map[string]string{"ann": "Front office"}})
	require.NoError(t, err)
	require.False(t, d.Diagnostics.HasErrors(), "%s\n%s", d.Diagnostics, d.YAML)
	require.Empty(t, d.Diagnostics, "no warnings either")
	def, diags := flow.Load(d.YAML, flow.ValidateOptions{})
	require.False(t, diags.HasErrors())

	require.Equal(t, "small-helpdesk-2026", d.Key)
	require.Equal(t, []int{3, 4, 11, 10, 5, 6, 7}, []int{d.Variants, d.VariantsTotal, d.Cases, d.CoveredCases, d.Activities, d.ActivitiesTotal, d.Steps})
	require.InDelta(t, 10.0/11, d.Coverage, 1e-12)
	require.False(t, d.Capped)

	// A decision first: most cases start with the form.
	route := def.Steps[0]
	require.Equal(t, flow.KindDecision, route.Kind)
	require.Equal(t, "submit_form", route.Default)
	require.Equal(t, []flow.Rule{{When: `attributes.start_at == "phone_call"`, Next: "phone_call"}}, route.Rules)

	type want struct {
		dept     string
		sla      string
		outcomes []flow.Outcome
	}
	got := map[string]want{}
	var ids []string
	for _, s := range def.Steps[1:] {
		ids = append(ids, s.ID)
		if s.Kind == flow.KindTask {
			got[s.ID] = want{s.Department, FormatDuration(s.SLA.D()), s.Outcomes}
		}
	}
	require.Equal(t, []string{"submit_form", "review", "close", "ask_customer", "phone_call", "end"}, ids)
	// Waits before Review: 70 min ×5, 20 min ×3, 3000 min ×3, 40 min ×2:
	// percentile_cont 0.9 of the 13 is 3000 min (50 h) → 2d2h.
	require.Equal(t, map[string]want{
		"submit_form": {"front_desk", "1d", []flow.Outcome{{Name: "to_review", Next: "review"}}},
		"review":      {"back", "2d2h", []flow.Outcome{{Name: "to_close", Next: "close"}, {Name: "to_ask_customer", Next: "ask_customer"}}},
		// Close waits 130 min every time → 2h15m; resource ann is mapped.
		"close":        {"front_office", "2h15m", []flow.Outcome{{Name: "done", Next: "end"}}},
		"ask_customer": {"back", "10m", []flow.Outcome{{Name: "to_review", Next: "review"}}},
		// No group, resource zed not mapped: the default department.
		"phone_call": {"service", "1d", []flow.Outcome{{Name: "to_review", Next: "review"}}},
	}, got)
	require.Equal(t, []string{"front_desk", "back", "front_office", "service"}, def.Departments)
	// The case sla: cycle-time p90 rounded up.
	require.Equal(t, RoundUp(discovery.CycleTimesOf(l).P90), def.SLA.D())

	y := string(d.YAML)
	for _, s := range []string{
		"# Main paths: the 3 most frequent of 4 variants, 10 of 11 cases (90.9 %; asked for 90.0 %).",
		"# Close: 11 of 11 cases (100.0 %) pass here; waiting p90 2 h 10 min (7,800 s) in the log → sla 2h15m",
		`# department: resource "ann" (11 of its events) is mapped to front_office`,
		"set the case attribute start_at",
		"- name: to_ask_customer  # 3 times in the kept cases",
	} {
		require.Contains(t, y, s)
	}

	// The same log gives the same bytes.
	for range 5 {
		again, err := Draft(l, Options{LogName: "Small helpdesk 2026", DepartmentOf: map[string]string{"ann": "Front office"}})
		require.NoError(t, err)
		require.Equal(t, d.YAML, again.YAML)
	}
}

func TestDraftOptions(t *testing.T) {
	l := handLog()
	// Everything kept: the detour too.
	d, err := Draft(l, Options{Key: "help_desk-2", Name: "Help", Coverage: 1, DefaultDepartment: "Second Line"})
	require.NoError(t, err)
	require.False(t, d.Diagnostics.HasErrors(), "%s", d.Diagnostics)
	require.Equal(t, []int{4, 11, 6}, []int{d.Variants, d.CoveredCases, d.Activities})
	require.Contains(t, string(d.YAML), "key: help_desk-2\n")
	require.Contains(t, string(d.YAML), "department: second_line\n")
	// A tiny coverage keeps the most frequent variant, one start, no decision.
	d, err = Draft(l, Options{Coverage: 0.01})
	require.NoError(t, err)
	require.Equal(t, "drafted", d.Key)
	require.Equal(t, []int{1, 5, 3, 4}, []int{d.Variants, d.CoveredCases, d.Activities, d.Steps})
	require.NotContains(t, string(d.YAML), "kind: decision")

	for _, o := range []Options{{Key: "Bad Key"}, {Coverage: 1.5}, {Coverage: -0.1}, {Coverage: math.NaN()}} {
		_, err := Draft(l, o)
		require.ErrorIs(t, err, ErrBadOptions, "%+v", o)
	}
	_, err = Draft(discovery.Log{}, Options{})
	require.ErrorIs(t, err, ErrEmptyLog)
}

// A log of hundreds of activities drafts at most MaxActivities steps.
func TestDraftIsBounded(t *testing.T) {
	var l discovery.Log
	// One long case of 300 activities, the most frequent (three cases),
	// and many short ones.
	long := make([]ev, 300)
	for i := range long {
		long[i] = ev{act: fmt.Sprintf("A%03d ✓", i), after: 1}
	}
	for i := range 3 {
		l.Cases = append(l.Cases, handCase(fmt.Sprintf("long%d", i), i, long...))
	}
	for i := range 2 {
		l.Cases = append(l.Cases, handCase(fmt.Sprintf("short%d", i), i, ev{act: "x"}, ev{act: fmt.Sprintf("y%d", i), after: 3}))
	}
	d, err := Draft(l, Options{Coverage: 1})
	require.NoError(t, err)
	require.False(t, d.Diagnostics.HasErrors(), "%s", d.Diagnostics)
	require.True(t, d.Capped)
	require.Equal(t, MaxActivities, d.Activities)
	require.Equal(t, 303, d.ActivitiesTotal)
	require.Equal(t, 1, d.Variants)
	require.Contains(t, string(d.YAML), "# Capped: at most 60 activities")
	require.Contains(t, string(d.YAML), "id: a000\n")
}

// Many long variants, each its own (every case 100 activities of 400, in
// an order of its own): the draft stays at the cap and takes one pass.
func TestDraftOfManyLongVariants(t *testing.T) {
	var l discovery.Log
	for i := range 3000 {
		evs := make([]ev, 100)
		for j := range evs {
			evs[j] = ev{act: fmt.Sprintf("act %d", (i*7+j*13)%400), after: 1 + j}
		}
		l.Cases = append(l.Cases, handCase(fmt.Sprintf("c%d", i), i%28, evs...))
	}
	start := time.Now()
	d, err := Draft(l, Options{})
	require.NoError(t, err)
	require.Less(t, time.Since(start), 20*time.Second)
	require.False(t, d.Diagnostics.HasErrors(), "%s", d.Diagnostics)
	require.True(t, d.Capped)
	require.LessOrEqual(t, d.Activities, MaxActivities)
	require.Less(t, len(d.YAML), flow.MaxSourceSize)
}

func TestRoundUpAndFormat(t *testing.T) {
	for _, c := range []struct {
		sec  float64
		want string
	}{
		{0, "5m"}, {1, "5m"}, {299, "5m"}, {300, "5m"}, {301, "10m"}, {3600, "1h"}, {3601, "1h15m"},
		{3*3600 + 12*60, "3h15m"}, {86400, "1d"}, {86401, "1d1h"}, {50 * 3600, "2d2h"}, {1e12, "3650d"},
	} {
		d := RoundUp(c.sec)
		require.Equal(t, c.want, FormatDuration(d), "%v s", c.sec)
		p, err := flow.ParseDuration(FormatDuration(d))
		require.NoError(t, err)
		require.Equal(t, d, p.D())
		require.GreaterOrEqual(t, d.Seconds(), math.Min(c.sec, 3650*86400))
	}
	require.Equal(t, "4,580", thousands(4580))
	require.Equal(t, "1,234,567", thousands(1234567))
	require.Equal(t, "999", thousands(999))
}

// helpdeskCSV is the Helpdesk log, beside the repository in CI.
const helpdeskCSV = "../../shared/data/eventlogs/helpdesk.csv"

func percentileCont(sorted []float64, p float64) float64 {
	pos := p * float64(len(sorted)-1)
	lo, hi := math.Floor(pos), math.Ceil(pos)
	return sorted[int(lo)] + (sorted[int(hi)]-sorted[int(lo)])*(pos-lo)
}

// HelpdeskLog reads the Helpdesk CSV without the product's reader: rows by
// case (in the order cases first appear), each case ordered by time (ties
// in file order). It also answers each activity's waiting p90, computed
// from the raw rows. Exported to the tests of this package only.
func helpdeskLog(t testing.TB) (discovery.Log, map[string]float64) {
	t.Helper()
	f, err := os.Open(helpdeskCSV)
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("the shared event logs are beside the repository in CI")
	}
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	byCase := map[string][]discovery.Event{}
	var order []string
	for _, r := range rows[1:] {
		at, err := time.Parse("2006/1/2 15:04:05", r[3])
		require.NoError(t, err)
		if _, ok := byCase[r[0]]; !ok {
			order = append(order, r[0])
		}
		byCase[r[0]] = append(byCase[r[0]], discovery.Event{Activity: r[1], Time: at, Resource: r[2]})
	}
	var l discovery.Log
	waits := map[string][]float64{}
	for _, id := range order {
		evs := byCase[id]
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
		for i := 1; i < len(evs); i++ {
			waits[evs[i].Activity] = append(waits[evs[i].Activity], evs[i].Time.Sub(evs[i-1].Time).Seconds())
		}
		l.Cases = append(l.Cases, discovery.Case{ID: id, Events: evs})
	}
	p90 := map[string]float64{}
	for a, ws := range waits {
		slices.Sort(ws)
		p90[a] = percentileCont(ws, 0.9)
	}
	return l, p90
}

// On the Helpdesk log the draft validates, and each task's sla is the
// rounding of its activity's waiting p90 computed from the raw rows.
func TestDraftOnTheHelpdeskLog(t *testing.T) {
	l, p90 := helpdeskLog(t)
	d, err := Draft(l, Options{LogName: "Helpdesk"})
	require.NoError(t, err)
	require.False(t, d.Diagnostics.HasErrors(), "%s\n%s", d.Diagnostics, d.YAML)
	def, diags := flow.Load(d.YAML, flow.ValidateOptions{})
	require.False(t, diags.HasErrors())
	require.Equal(t, "helpdesk", d.Key)
	require.Equal(t, 4580, d.Cases)
	require.GreaterOrEqual(t, d.Coverage, 0.9)
	require.False(t, d.Capped)
	t.Logf("Helpdesk: %d of %d variants, %d of %d cases (%.1f %%), %d of %d activities, %d steps", d.Variants, d.VariantsTotal,
		d.CoveredCases, d.Cases, 100*d.Coverage, d.Activities, d.ActivitiesTotal, d.Steps)
	tasks := 0
	for _, s := range def.Steps {
		if s.Kind != flow.KindTask {
			continue
		}
		tasks++
		want, ok := p90[s.Name]
		if !ok {
			require.Equal(t, PlaceholderSLA, s.SLA.D(), s.Name)
			continue
		}
		require.Equal(t, RoundUp(want), s.SLA.D(), "%s: waiting p90 %v s", s.Name, want)
		t.Logf("  %-28s p90 %9.0f s → sla %s", s.Name, want, FormatDuration(s.SLA.D()))
	}
	require.Equal(t, d.Activities, tasks)
	require.True(t, strings.HasPrefix(string(d.YAML), "# Drafted by flowlab from the event log \"Helpdesk\""))
}
