package discovery

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/stats"
)

// naiveVariants is the definition of decision 0029 written plainly:
// group the cases by VariantKey, rank by cases then key.
func naiveVariants(l Log) []Variant {
	byKey := map[string]*Variant{}
	cycles, bcycles := map[string][]float64{}, map[string][]float64{}
	total := 0
	for _, c := range l.Cases {
		if len(c.Events) == 0 {
			continue
		}
		total++
		k := VariantKey(c)
		v := byKey[k]
		if v == nil {
			v = &Variant{Key: k}
			for _, e := range c.Events {
				v.Activities = append(v.Activities, e.Activity)
			}
			byKey[k] = v
		}
		v.Cases++
		v.CaseIDs = append(v.CaseIDs, c.ID)
		cycles[k] = append(cycles[k], CycleTime(c).Seconds())
		if l.cal != nil {
			bcycles[k] = append(bcycles[k], l.cal.Between(caseStart(c), c.Events[len(c.Events)-1].Time).Seconds())
		}
	}
	var out []Variant
	for k, v := range byKey {
		v.Share = float64(v.Cases) / float64(total)
		v.CycleP50 = stats.Quantile(cycles[k], 0.5)
		if l.cal != nil {
			b := stats.Quantile(bcycles[k], 0.5)
			v.BusinessCycleP50 = &b
		}
		out = append(out, *v)
	}
	slices.SortFunc(out, func(a, b Variant) int {
		if c := cmp.Compare(b.Cases, a.Cases); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// randomLog has cases over the given activity names, few enough events
// that variants repeat.
func randomLog(seed uint64, acts []string, cases, maxLen int) Log {
	rng := rand.New(rand.NewPCG(seed, 7))
	var l Log
	for c := range cases {
		cs := Case{ID: "c" + string(rune('a'+c%26)) + time.Duration(c).String()}
		t := t0.Add(time.Duration(rng.IntN(1000)) * time.Hour)
		for k := rng.IntN(maxLen); k > 0; k-- {
			t = t.Add(time.Duration(rng.IntN(30*3600)) * time.Second)
			cs.Events = append(cs.Events, Event{Activity: acts[rng.IntN(len(acts))], Time: t})
		}
		if rng.IntN(20) == 0 {
			cs.Events = nil // an empty case has no variant
		}
		l.Cases = append(l.Cases, cs)
	}
	return l
}

func TestVariantsMatchTheDefinition(t *testing.T) {
	h := "09:00-17:00"
	cal := &flow.Calendar{TimeZone: "Europe/Berlin", Hours: flow.WeekHours{Mon: h, Tue: h, Wed: h}}
	for i, acts := range [][]string{
		{"record", "assign", "resolve", "close"},
		// Names that are prefixes of others, and bytes below and above
		// the separator's: comparing names one by one would misorder.
		{"a", "a b", "a→", "ab", "b", "", "z"},
		{"x", "x → y", "y"},
		// Many activities (9 bits a rank, 7 packed) and long cases.
		many(300),
		many(3),
	} {
		maxLen := 6
		if i >= 3 {
			maxLen = 20
		}
		l := randomLog(uint64(i), acts, 400, maxLen)
		for _, ll := range []Log{l, l.Indexed(), l.InCalendar(cal), l.Indexed().InCalendar(cal)} {
			got, want := Variants(ll), naiveVariants(ll)
			if i == 2 {
				// "x → y" and x, y share a key: compare as a multiset.
				require.Len(t, got, len(want)+countDup(got))
				continue
			}
			require.Equal(t, want, got)
		}
	}
	require.Empty(t, Variants(Log{}))
}

func many(n int) []string {
	var out []string
	for i := range n {
		out = append(out, "act "+strconv.Itoa(i+1000))
	}
	return out
}

func countDup(vs []Variant) int {
	seen, n := map[string]bool{}, 0
	for _, v := range vs {
		if seen[v.Key] {
			n++
		}
		seen[v.Key] = true
	}
	return n
}

func TestQuantileSortedIsStats(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	// Small samples are sorted, larger ones selected in: with distinct
	// values, with many equal ones, sorted and reversed.
	sizes := []int{}
	for n := 1; n < 70; n++ {
		sizes = append(sizes, n)
	}
	sizes = append(sizes, 100, 101, 257, 1000, 4099)
	for k, n := range sizes {
		xs := make([]float64, n)
		for i := range xs {
			switch k % 4 {
			case 0:
				xs[i] = rng.Float64() * 1000
			case 1:
				xs[i] = float64(rng.IntN(5))
			case 2:
				xs[i] = float64(i)
			default:
				xs[i] = float64(n - i)
			}
		}
		want := []float64{stats.Quantile(xs, 0.5), stats.Quantile(xs, 0.9), stats.Quantile(xs, 0.95)}
		q := quantiles(slices.Clone(xs))
		require.Equal(t, want, []float64{q.P50, q.P90, q.P95})
		require.Equal(t, want[0], median(slices.Clone(xs)))
	}
}

// Variants that share their first packed ranks are told apart by the rest.
func TestVariantsLongSharedPrefixes(t *testing.T) {
	acts := many(300)
	l := randomLog(9, acts[:2], 300, 14)
	all := Case{ID: "all", Events: nil}
	for i, a := range acts {
		all.Events = append(all.Events, Event{Activity: a, Time: t0.Add(time.Duration(i) * time.Second)})
	}
	l.Cases = append(l.Cases, all)
	require.Equal(t, naiveVariants(l), Variants(l))
	require.Equal(t, naiveVariants(l), Variants(l.Indexed()))
}
