package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestFitArrivalsCountsEachSlotOverItsOccurrences(t *testing.T) {
	from := monday // Monday 00:00
	to := monday.AddDate(0, 0, 14).Add(9*time.Hour + 30*time.Minute)
	var arrived []time.Time
	// Mondays 09:xx: 3, 5 and (half an hour of the third) 1.
	for i := range 3 {
		arrived = append(arrived, monday.Add(9*time.Hour+time.Duration(i)*time.Minute))
	}
	for i := range 5 {
		arrived = append(arrived, monday.AddDate(0, 0, 7).Add(9*time.Hour+time.Duration(i)*time.Minute))
	}
	arrived = append(arrived, monday.AddDate(0, 0, 14).Add(9*time.Hour+10*time.Minute))
	arrived = append(arrived, to.Add(time.Hour)) // outside
	rates, err := FitArrivals(arrived, from, to)
	require.NoError(t, err)
	require.InDelta(t, 9/2.5, rates[9], 1e-12, "9 arrivals in 2.5 Monday-09 hours")
	require.Zero(t, rates[10])
	_, err = FitArrivals(nil, to, from)
	require.Error(t, err)
}

func TestFitBranches(t *testing.T) {
	v := func(steps ...string) []Visit {
		out := make([]Visit, len(steps))
		for i, s := range steps {
			out[i] = Visit{Step: s}
		}
		return out
	}
	bs := FitBranches([][]Visit{
		v("record", "investigate", "feedback"),
		v("record", "investigate", "feedback"),
		v("record", "feedback"),
		v("record"),
		v("record", "investigate", "investigate", "feedback"),
	})
	require.Equal(t, []Branch{{To: "investigate", P: 0.6}, {To: "feedback", P: 0.2}, {To: EndStep, P: 0.2}}, bs["record"])
	require.Equal(t, []Branch{{To: "feedback", P: 0.75}, {To: "investigate", P: 0.25}}, bs["investigate"])
	require.Empty(t, bs["feedback"], "always the last")
}

func TestFitWork(t *testing.T) {
	require.IsType(t, &Empirical{}, FitWork([]float64{1, 2, 3, 4, 5}, nil))
	require.Equal(t, Exponential{MeanSeconds: 2}, FitWork([]float64{1, 3, -1}, nil))
	require.Equal(t, Fixed{Seconds: 9}, FitWork(nil, Fixed{Seconds: 9}))
}
