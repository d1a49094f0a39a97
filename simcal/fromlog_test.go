package simcal

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/discovery"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/flowdraft"
	"github.com/flowlab/flowlab/logimport"
	"github.com/flowlab/flowlab/sim"
	"github.com/flowlab/flowlab/stats"
)

// TestFromTheHelpdeskLog: the real Helpdesk log (completions only) is
// imported, a flow drafted from it, and the flow calibrated from the log
// alone: its steps replay their times since the previous event, and the
// simulated median cycle time of the cases the draft covers is the log's
// within 15 %.
func TestFromTheHelpdeskLog(t *testing.T) {
	f, err := os.Open(filepath.Join("../../shared/data/eventlogs", "helpdesk.csv"))
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("the shared event logs are beside the repository in CI")
	}
	require.NoError(t, err)
	defer f.Close()
	ctx := context.Background()
	st := openStore(t)
	_, _, err = logimport.Import(ctx, st, f, logimport.Params{ID: "helpdesk", Name: "Helpdesk", Actor: "olga", At: monday})
	require.NoError(t, err)
	l, err := logimport.Load(ctx, st, "helpdesk")
	require.NoError(t, err)
	d, err := flowdraft.Draft(l, flowdraft.Options{LogName: "Helpdesk"})
	require.NoError(t, err)
	def, diags := flow.Load(d.YAML, flow.ValidateOptions{})
	require.False(t, diags.HasErrors(), "%v", diags)
	def.Version = 1

	c, unmatched, err := FromLog(l, def)
	require.NoError(t, err)
	require.Equal(t, 4580, c.Cases)
	t.Logf("%d steps calibrated, %d events of activities the draft left out, %s to %s", len(c.Steps), unmatched,
		c.From.Format(time.DateOnly), c.To.Format(time.DateOnly))
	for _, s := range c.Steps {
		require.True(t, s.LeadOnly, "completions only: %s", s.Step)
	}
	m, notes, err := c.Model(Scenario{Def: def})
	require.NoError(t, err)
	require.NotEmpty(t, notes)
	for _, s := range m.Steps {
		require.Empty(t, s.Department, "%s is replayed, not queued", s.ID)
	}

	// The log's own median cycle time of the cases whose every activity
	// the draft kept (the simulated cases take only the draft's paths).
	kept := map[string]bool{}
	for _, s := range def.Steps {
		kept[s.Name] = true
	}
	var cycles []float64
	for _, cs := range l.Cases {
		all := len(cs.Events) > 0
		for _, e := range cs.Events {
			all = all && kept[e.Activity]
		}
		if all {
			cycles = append(cycles, discovery.CycleTime(cs).Seconds())
		}
	}
	observed := stats.Median(cycles)
	start := time.Date(2014, 1, 6, 0, 0, 0, 0, time.UTC)
	est, _, err := sim.Replicate(m, sim.Options{Seed: 1, Start: start, Horizon: 365 * 24 * time.Hour, Drain: 365 * 24 * time.Hour}, 5)
	require.NoError(t, err)
	t.Logf("median cycle time: log %.1f d (%d cases), simulated %.1f d", observed/86400, len(cycles), est.CycleMedian.Mean/86400)
	require.Less(t, math.Abs(est.CycleMedian.Mean/observed-1), 0.15)
}

// TestFromALogWithStarts: a log that pairs starts with completions and
// names resources and their groups is calibrated as spans are: the known operation's cases
// (the truth of simcal_test.go), written as events of complaint v1's
// steps, give its arrivals, its routing through the decision, its
// staffing, and its median cycle time within 15 %.
func TestFromALogWithStarts(t *testing.T) {
	m := truth()
	r, err := sim.Run(m, sim.Options{Seed: 42, Start: monday, Horizon: 6 * 7 * 24 * time.Hour, Drain: 7 * 24 * time.Hour})
	require.NoError(t, err)
	var l discovery.Log
	free := map[string][]time.Time{}
	type ev struct {
		c, i int
		v    sim.StepVisit
	}
	var tasks []ev
	for k, c := range r.Cases {
		if !c.Done() {
			continue
		}
		for i, v := range c.Visits {
			if v.Department != "" {
				tasks = append(tasks, ev{k, i, v})
			}
		}
	}
	// Resources as writeHistory gives them: the first free person.
	res := map[[2]int]string{}
	slices_sortByStart(tasks, func(a ev) time.Time { return a.v.Started })
	for _, tv := range tasks {
		fs := free[tv.v.Department]
		if fs == nil {
			fs = make([]time.Time, 6)
			free[tv.v.Department] = fs
		}
		k := 0
		for k < len(fs) && fs[k].After(tv.v.Started) {
			k++
		}
		fs[k] = tv.v.Completed
		res[[2]int{tv.c, tv.i}] = tv.v.Department + "-" + string(rune('a'+k))
	}
	for k, c := range r.Cases {
		if !c.Done() {
			continue
		}
		cs := discovery.Case{ID: string(rune(k))}
		for i, v := range c.Visits {
			if v.Department == "" {
				continue
			}
			start := v.Started
			cs.Events = append(cs.Events, discovery.Event{Activity: v.Step, Time: v.Completed, Start: &start, Resource: res[[2]int{k, i}], Group: v.Department})
		}
		l.Cases = append(l.Cases, cs)
	}
	def := complaint(t, 1)
	c, unmatched, err := FromLog(l, def)
	require.NoError(t, err)
	require.Zero(t, unmatched)
	require.False(t, c.Step("investigate").LeadOnly)
	route := c.Step("route")
	require.NotNil(t, route, "the decision between record and investigate was counted")
	cm, _, err := c.Model(Scenario{Def: def})
	require.NoError(t, err)
	require.InDelta(t, 0.1, cm.Steps[1].Next[0].P, 0.03, "a tenth to the crisis team")
	tech := cm.Staff[slices_staff(cm, "technical")]
	require.Equal(t, 2, tech.PerHour[10], "two engineers on Monday 10:00 (an escalated investigation's resource is in the supervisor's group)")
	o := sim.Options{Seed: 1000, Start: monday.Add(6 * 7 * 24 * time.Hour), WarmUp: 7 * 24 * time.Hour,
		Horizon: 5 * 7 * 24 * time.Hour, Drain: 28 * 24 * time.Hour}
	want, _, err := sim.Replicate(truth(), o, 5)
	require.NoError(t, err)
	got, _, err := sim.Replicate(cm, o, 5)
	require.NoError(t, err)
	t.Logf("median cycle time: truth %.0f s, from the log %.0f s", want.CycleMedian.Mean, got.CycleMedian.Mean)
	require.InEpsilon(t, want.CycleMedian.Mean, got.CycleMedian.Mean, 0.15)
}

func slices_sortByStart[T any](xs []T, at func(T) time.Time) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && at(xs[j]).Before(at(xs[j-1])); j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}

func slices_staff(m *sim.Model, dept string) int {
	for i, s := range m.Staff {
		if s.Department == dept {
			return i
		}
	}
	return -1
}
