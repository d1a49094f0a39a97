package alert

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func f(v float64) *float64 { return &v }

func TestJudgeThresholdIsStrictAndNeedsTheSample(t *testing.T) {
	m, ok := MetricByName("sla_breach_rate")
	require.True(t, ok)
	c := Condition{Op: Above, Value: 0.2}
	assert.Equal(t, Breach, Judge(m, c, 10, Observation{Value: f(0.3), N: 10}, Observation{}).Outcome)
	assert.Equal(t, Clear, Judge(m, c, 10, Observation{Value: f(0.2), N: 10}, Observation{}).Outcome, "exactly 20 % is not above 20 %")
	j := Judge(m, c, 10, Observation{Value: f(0.9), N: 9}, Observation{})
	assert.Equal(t, Insufficient, j.Outcome)
	assert.Contains(t, j.Message, "9 completed tasks with an SLA in the window, at least 10 needed")
	assert.Equal(t, Insufficient, Judge(m, c, 0, Observation{N: 0}, Observation{}).Outcome, "no value is no data")
	below := Condition{Op: Below, Value: 0.9}
	csat, _ := MetricByName("csat")
	assert.Equal(t, Breach, Judge(csat, below, 1, Observation{Value: f(0.85), N: 40}, Observation{}).Outcome)
	assert.Equal(t, Clear, Judge(csat, below, 1, Observation{Value: f(0.9), N: 40}, Observation{}).Outcome)
}

func TestJudgeChangeFiresOnARiseOfTheFractionAndNotLess(t *testing.T) {
	m, _ := MetricByName("sla_breach_rate")
	c := Condition{Op: Rise, Value: 0.2, BaselineWeeks: 4}
	base := Observation{Value: f(0.25), N: 200}
	// 0.30 against 0.25 is a rise of 20 % (0.19999999999999996 in float64).
	j := Judge(m, c, 10, Observation{Value: f(0.30), N: 50}, base)
	assert.Equal(t, Breach, j.Outcome, j.Message)
	require.NotNil(t, j.Change)
	assert.InDelta(t, 0.2, *j.Change, 1e-12)
	assert.Equal(t, Clear, Judge(m, c, 10, Observation{Value: f(0.275), N: 50}, base).Outcome, "a 10 % rise")
	assert.Equal(t, Clear, Judge(m, c, 10, Observation{Value: f(0.1), N: 50}, base).Outcome, "a fall is no rise")
	fall := Condition{Op: Fall, Value: 0.2, BaselineWeeks: 4}
	assert.Equal(t, Breach, Judge(m, fall, 10, Observation{Value: f(0.2), N: 50}, base).Outcome)
	assert.Equal(t, Clear, Judge(m, fall, 10, Observation{Value: f(0.225), N: 50}, base).Outcome)
	// The baseline needs its sample and a size.
	assert.Equal(t, Insufficient, Judge(m, c, 10, Observation{Value: f(0.3), N: 50}, Observation{Value: f(0.25), N: 3}).Outcome)
	assert.Equal(t, Insufficient, Judge(m, c, 10, Observation{Value: f(0.3), N: 50}, Observation{Value: f(0), N: 300}).Outcome)
}

func TestJudgeCountsZeroIsAValue(t *testing.T) {
	m, _ := MetricByName("escalations")
	assert.Equal(t, Clear, Judge(m, Condition{Op: Above, Value: 5}, 0, Observation{Value: f(0), N: 0}, Observation{}).Outcome)
	assert.Equal(t, Breach, Judge(m, Condition{Op: Above, Value: 5}, 0, Observation{Value: f(6), N: 6}, Observation{}).Outcome)
}

func TestNextWalksOkPendingFiringResolved(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	pending := 5 * time.Minute
	s := State{Name: OK, Since: t0}
	s = Next(s, Breach, at(1), pending)
	assert.Equal(t, Pending, s.Name)
	s = Next(s, Breach, at(3), pending)
	assert.Equal(t, Pending, s.Name, "held 2 of 5 minutes")
	s = Next(s, Breach, at(6), pending)
	assert.Equal(t, Firing, s.Name)
	assert.Equal(t, at(1), *s.PendingSince)
	assert.Equal(t, at(6), s.Since)
	s = Next(s, Insufficient, at(7), pending)
	assert.Equal(t, Firing, s.Name, "no data does not resolve")
	s = Next(s, Failed, at(8), pending)
	assert.Equal(t, Firing, s.Name)
	s = Next(s, Clear, at(9), pending)
	assert.Equal(t, Resolved, s.Name)
	s = Next(s, Clear, at(10), pending)
	assert.Equal(t, Resolved, s.Name)
	s = Next(s, Breach, at(11), pending)
	assert.Equal(t, Pending, s.Name)
	s = Next(s, Insufficient, at(12), pending)
	assert.Equal(t, OK, s.Name, "no data cancels a pending")
	s = Next(s, Breach, at(13), 0)
	assert.Equal(t, Firing, s.Name, "no pending time fires at once")
	s = Next(s, Clear, at(14), 0)
	assert.Equal(t, Resolved, s.Name)

	assert.True(t, Notifies(Pending, Firing))
	assert.True(t, Notifies(OK, Firing))
	assert.True(t, Notifies(Firing, Resolved))
	assert.False(t, Notifies(OK, Pending))
	assert.False(t, Notifies(Pending, OK))
	assert.False(t, Notifies(Firing, Firing))
}

func TestNormalizeNamesTheField(t *testing.T) {
	good := func() Definition {
		return Definition{Name: "Investigate breaches", Metric: "sla_breach_rate", Scope: Scope{Flow: "complaint", Step: "investigate"},
			Condition: Condition{Op: Above, Value: 0.2}, Window: time.Hour, MinSample: 10}
	}
	d := good()
	require.NoError(t, Normalize(&d, time.Minute))
	assert.Equal(t, DefaultEvery, d.Every)

	ch := good()
	ch.Condition = Condition{Op: Rise, Value: 0.2}
	require.NoError(t, Normalize(&ch, time.Minute))
	assert.Equal(t, DefaultBaseline, ch.Condition.BaselineWeeks)

	cases := []struct {
		field string
		edit  func(*Definition)
	}{
		{"name", func(d *Definition) { d.Name = "  " }},
		{"metric", func(d *Definition) { d.Metric = "mood" }},
		{"scope.channel", func(d *Definition) { d.Scope.Channel = "phone" }},
		{"scope.step", func(d *Definition) { d.Scope.Flow = "" }},
		{"condition.value", func(d *Definition) { d.Condition.Value = 20 }},
		{"condition.op", func(d *Definition) { d.Condition.Op = "over" }},
		{"condition.baseline_weeks", func(d *Definition) { d.Condition.BaselineWeeks = 4 }},
		{"window", func(d *Definition) { d.Window = time.Second }},
		{"window", func(d *Definition) { d.Window = 40 * 24 * time.Hour }},
		{"min_sample", func(d *Definition) { d.MinSample = -1 }},
		{"pending", func(d *Definition) { d.Pending = -time.Second }},
		{"every", func(d *Definition) { d.Every = time.Second }},
		{"every", func(d *Definition) { d.Every = 1500 * time.Millisecond }},
	}
	for _, c := range cases {
		d := good()
		c.edit(&d)
		err := Normalize(&d, time.Minute)
		var fe *FieldError
		require.True(t, errors.As(err, &fe), "%s: %v", c.field, err)
		assert.Equal(t, c.field, fe.Field, fe.Reason)
	}
	ob := Definition{Name: "backlog", Metric: "open_backlog", Condition: Condition{Op: Rise, Value: 0.5}, Window: time.Hour}
	err := Normalize(&ob, time.Minute)
	var fe *FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "condition.op", fe.Field)
}

func TestFormatWritesUnits(t *testing.T) {
	rate, _ := MetricByName("on_time")
	secs, _ := MetricByName("waiting_p90")
	assert.Equal(t, "23.5 %", Format(rate, 0.235))
	assert.Equal(t, "1h2m3s", Format(secs, 3723.4))
	assert.Equal(t, "all flows", Scope{}.String())
	assert.Equal(t, "complaint v2 / step investigate", Scope{Flow: "complaint", Version: 2, Step: "investigate"}.String())
}
