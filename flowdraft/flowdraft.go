// Package flowdraft drafts a flow from an event log (issue 18, decision
// 0032): the main paths of the process as it really runs, kept until they
// cover a share of the cases, become task steps with departments, outcomes
// where the log branches, a decision where cases start differently, and
// SLAs from the log's waiting times, rounded up. The draft is flow YAML
// text that flow.Load accepts unchanged, with comments saying where every
// number came from. It is pure: the caller loads the log.
package flowdraft

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/flowlab/flowlab/discovery"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/readable"
)

// Defaults and bounds of a draft (decision 0032).
const (
	// DefaultCoverage is the share of the cases the kept variants cover.
	DefaultCoverage = 0.9
	// DefaultDepartment is the department of a task nothing else names.
	DefaultDepartment = "service"
	// MaxActivities is the most activities (task steps) a draft keeps.
	MaxActivities = 60
	// PlaceholderSLA is the sla of a task whose activity has no waiting
	// time in the log (it only ever opens a case): a flow's task needs one.
	PlaceholderSLA = 24 * time.Hour
	// StartAttribute is the case attribute the start decision routes on.
	StartAttribute = "start_at"
	// maxIDLength bounds the step ids and the key made from names.
	maxIDLength = 60
)

// Reserved step ids: the start decision and the end.
const (
	routeID = "route_start"
	endID   = "end"
)

// ErrEmptyLog is returned for a log without cases.
var ErrEmptyLog = errors.New("the log has no cases to draft a flow from")

// ErrBadOptions wraps a refused option (a key, a coverage).
var ErrBadOptions = errors.New("bad draft option")

// keyRe reports whether s is a valid flow key (flow's rule).
func keyRe(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Options shape a draft. The zero value drafts with the defaults.
type Options struct {
	// LogName is the log's name, for the comments and the default key.
	LogName string
	// Key is the flow's key (a lowercase letter, then a-z, 0-9, _ and -);
	// empty derives it from LogName ("drafted" without one).
	Key string
	// Name is the flow's name; empty is LogName.
	Name string
	// Coverage is the share of the cases the kept variants must reach,
	// in (0, 1]; 0 is DefaultCoverage.
	Coverage float64
	// DepartmentOf maps a group or resource value of the log to a
	// department (made a valid department name).
	DepartmentOf map[string]string
	// DefaultDepartment is the department of a task whose activity has
	// neither a mapped value nor a group; empty is DefaultDepartment.
	DefaultDepartment string
}

// Result is a drafted flow and its figures. (A type named Draft would
// clash with the function.)
type Result struct {
	YAML []byte
	Key  string
	// Variants are the kept variants, of VariantsTotal.
	Variants, VariantsTotal int
	// Cases are the log's cases; CoveredCases those of the kept variants,
	// Coverage their share.
	Cases, CoveredCases int
	Coverage            float64
	// Activities are the kept activities (task steps), of
	// ActivitiesTotal; Capped says MaxActivities cut the draft short.
	Activities, ActivitiesTotal int
	Capped                      bool
	// Steps are the flow's steps: tasks, the start decision, the end.
	Steps int
	// Diagnostics are flow.Load's on the YAML (no errors by
	// construction; a test checks it).
	Diagnostics flow.Diagnostics
}

// step is one kept activity.
type step struct {
	activity string
	id       string
	dept     string
	deptWhy  string
	sla      time.Duration
	slaWhy   string
	cases    int // cases of the whole log with the activity
	outs     []out
}

type out struct {
	to    int // index of the step; -1 is the end
	count int // times in the kept variants' cases
}

// Draft drafts a flow from l (decision 0032).
func Draft(l discovery.Log, o Options) (Result, error) {
	cov := o.Coverage
	switch {
	case cov == 0:
		cov = DefaultCoverage
	case math.IsNaN(cov) || cov < 0 || cov > 1:
		return Result{}, fmt.Errorf("%w: coverage must be a share from 0 to 1, not %v", ErrBadOptions, o.Coverage)
	}
	key := o.Key
	if key == "" {
		key = keyFrom(o.LogName)
	} else if !keyRe(key) {
		return Result{}, fmt.Errorf("%w: flow key %q must start with a lowercase letter and use only a-z, 0-9, _ and -", ErrBadOptions, key)
	}
	name := o.Name
	if name == "" {
		name = o.LogName
	}
	if name == "" {
		name = "Drafted from an event log"
	}
	variants := discovery.Variants(l)
	total := 0
	for _, v := range variants {
		total += v.Cases
	}
	if total == 0 {
		return Result{}, ErrEmptyLog
	}

	// The main paths: variants by rank until they cover cov of the cases,
	// skipping one that would take the activities past the cap.
	var kept [][]string
	var keptCases []int
	actIndex := map[string]int{}
	var acts []string
	covered, capped := 0, false
	for _, v := range variants {
		if float64(covered) >= cov*float64(total)-1e-9 {
			break
		}
		// The variant's new activities, in order; once they would take
		// the draft past the cap the rest need not be counted (so a log
		// of long variants costs one pass over its events).
		var fresh []string
		seen := map[string]bool{}
		for _, a := range v.Activities {
			if _, ok := actIndex[a]; ok || seen[a] {
				continue
			}
			seen[a] = true
			fresh = append(fresh, a)
			if len(kept) > 0 && len(acts)+len(fresh) > MaxActivities {
				break
			}
		}
		seq := v.Activities
		if len(acts)+len(fresh) > MaxActivities {
			capped = true
			if len(kept) > 0 {
				continue
			}
			// Even the most frequent variant is too long: keep its
			// beginning, up to the cap, and let it end there.
			fresh = fresh[:MaxActivities]
			keep := map[string]bool{}
			for _, a := range fresh {
				keep[a] = true
			}
			cut := len(seq)
			for i, a := range seq {
				if !keep[a] {
					cut = i
					break
				}
			}
			seq = seq[:cut]
		}
		for _, a := range fresh {
			actIndex[a] = len(acts)
			acts = append(acts, a)
		}
		kept = append(kept, seq)
		keptCases = append(keptCases, v.Cases)
		covered += v.Cases
	}

	// Figures of the whole log, by activity.
	stats := map[string]discovery.ActivityStats{}
	all := discovery.Activities(l)
	for _, a := range all {
		if _, ok := actIndex[a.Activity]; ok {
			stats[a.Activity] = a
		}
	}
	groups, resources := peopleOf(l, actIndex)
	ct := discovery.CycleTimesOf(l)

	// Steps, their ids unique, in the order the kept variants meet them.
	used := map[string]bool{routeID: true, endID: true}
	steps := make([]step, len(acts))
	defaultDept := deptName(o.DefaultDepartment)
	if defaultDept == "" {
		defaultDept = DefaultDepartment
	}
	for i, a := range acts {
		id := uniqueID(idFrom(a, "step"), used)
		st := stats[a]
		s := step{activity: a, id: id, cases: st.Cases}
		s.dept, s.deptWhy = department(groups[i], resources[i], o.DepartmentOf, defaultDept)
		if st.Wait.N > 0 {
			s.sla = RoundUp(st.Wait.P90)
			s.slaWhy = fmt.Sprintf("waiting p90 %s in the log → sla %s", seconds(st.Wait.P90), FormatDuration(s.sla))
		} else {
			s.sla = PlaceholderSLA
			s.slaWhy = fmt.Sprintf("no waiting time in the log (it only ever opens a case) → sla %s, a placeholder", FormatDuration(s.sla))
		}
		steps[i] = s
	}

	// Outcomes: the directly-follows pairs of the kept variants.
	type pair struct{ from, to int }
	edges := map[pair]int{}
	starts := map[int]int{}
	for k, seq := range kept {
		n := keptCases[k]
		if len(seq) == 0 {
			continue
		}
		starts[actIndex[seq[0]]] += n
		for j, a := range seq {
			to := -1
			if j+1 < len(seq) {
				to = actIndex[seq[j+1]]
			}
			edges[pair{actIndex[a], to}] += n
		}
	}
	for p, n := range edges {
		steps[p.from].outs = append(steps[p.from].outs, out{to: p.to, count: n})
	}
	for i := range steps {
		slices.SortFunc(steps[i].outs, func(a, b out) int {
			if c := cmp.Compare(b.count, a.count); c != 0 {
				return c
			}
			return cmp.Compare(outName(steps, a.to), outName(steps, b.to))
		})
	}
	var startList []out
	for i, n := range starts {
		startList = append(startList, out{to: i, count: n})
	}
	slices.SortFunc(startList, func(a, b out) int {
		if c := cmp.Compare(b.count, a.count); c != 0 {
			return c
		}
		return cmp.Compare(a.to, b.to)
	})

	// Departments, in the order the steps name them.
	var depts []string
	for _, s := range steps {
		if !slices.Contains(depts, s.dept) {
			depts = append(depts, s.dept)
		}
	}

	d := Result{Key: key, Variants: len(kept), VariantsTotal: len(variants), Cases: total, CoveredCases: covered,
		Coverage: float64(covered) / float64(total), Activities: len(acts), ActivitiesTotal: len(all),
		Capped: capped, Steps: len(steps) + 1}
	if len(startList) > 1 {
		d.Steps++
	}

	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	logName := o.LogName
	if logName == "" {
		logName = "(unnamed)"
	}
	w("# Drafted by flowlab from the event log %s (decision 0032): check it, then publish.\n", comment(strconv.Quote(logName)))
	w("# Main paths: the %s most frequent of %s variants, %s of %s cases (%s; asked for %s).\n",
		thousands(d.Variants), thousands(d.VariantsTotal), thousands(covered), thousands(total), percent(d.Coverage), percent(cov))
	w("# Kept: %s of %s activities, one task each; outcomes are the paths the kept variants take.\n",
		thousands(d.Activities), thousands(d.ActivitiesTotal))
	if capped {
		w("# Capped: at most %d activities are kept; variants that would add more were left out.\n", MaxActivities)
	}
	w("# SLAs: each activity's waiting p90 in the whole log, and the case's cycle-time p90, rounded up\n")
	w("# (to 5 min up to 1 h, to 15 min up to 1 d, to whole hours beyond).\n")
	w("key: %s\n", key)
	w("name: %s\n", strconv.Quote(name))
	w("description: %s\n", strconv.Quote("Drafted from the event log "+logName+"."))
	w("departments: [%s]\n", strings.Join(depts, ", "))
	if ct.N > 0 {
		caseSLA := RoundUp(ct.P90)
		w("# case: cycle-time p90 %s over %s cases in the log → sla %s\n", seconds(ct.P90), thousands(ct.N), FormatDuration(caseSLA))
		w("sla: %s\n", FormatDuration(caseSLA))
	}
	w("steps:\n")
	if len(startList) > 1 {
		w("  # Cases start with different activities: set the case attribute %s to a step id when\n", StartAttribute)
		w("  # starting a case to route it (or replace these rules with your own); without it a case\n")
		w("  # starts with the most frequent first step.\n")
		w("  - id: %s\n", routeID)
		w("    kind: decision\n")
		w("    name: \"Where the case starts\"\n")
		w("    rules:\n")
		for _, s := range startList[1:] {
			w("      # %s of the kept cases start here\n", thousands(s.count))
			w("      - when: '%s'\n", fmt.Sprintf("attributes.%s == %q", StartAttribute, steps[s.to].id))
			w("        next: %s\n", steps[s.to].id)
		}
		w("    # %s of the kept cases start here\n", thousands(startList[0].count))
		w("    default: %s\n", steps[startList[0].to].id)
	}
	for _, s := range steps {
		w("  # %s: %s of %s cases (%s) pass here; %s\n", comment(s.activity), thousands(s.cases), thousands(total),
			percent(float64(s.cases)/float64(total)), s.slaWhy)
		w("  # department: %s\n", comment(s.deptWhy))
		w("  - id: %s\n", s.id)
		w("    kind: task\n")
		w("    name: %s\n", strconv.Quote(s.activity))
		w("    department: %s\n", s.dept)
		w("    sla: %s\n", FormatDuration(s.sla))
		w("    outcomes:\n")
		for _, x := range s.outs {
			next, name := endID, "done"
			if x.to >= 0 {
				next, name = steps[x.to].id, "to_"+steps[x.to].id
			}
			w("      - name: %s  # %s times in the kept cases\n", name, thousands(x.count))
			w("        next: %s\n", next)
		}
	}
	w("  - id: %s\n", endID)
	w("    kind: end\n")
	w("    name: \"Closed\"\n")
	d.YAML = []byte(b.String())
	_, d.Diagnostics = flow.Load(d.YAML, flow.ValidateOptions{})
	return d, nil
}

// outName orders outcomes with equal counts: by the name of their step.
func outName(steps []step, to int) string {
	if to < 0 {
		return ""
	}
	return steps[to].id
}

// peopleOf counts, per kept activity (by index), its events' groups and
// resources over the whole log.
func peopleOf(l discovery.Log, actIndex map[string]int) (groups, resources []map[string]int) {
	groups, resources = make([]map[string]int, len(actIndex)), make([]map[string]int, len(actIndex))
	for i := range groups {
		groups[i], resources[i] = map[string]int{}, map[string]int{}
	}
	for _, c := range l.Cases {
		for _, e := range c.Events {
			i, ok := actIndex[e.Activity]
			if !ok {
				continue
			}
			if e.Group != "" {
				groups[i][e.Group]++
			}
			if e.Resource != "" {
				resources[i][e.Resource]++
			}
		}
	}
	return groups, resources
}

// mostFrequent is the value with the largest count, the first by name
// among equals; "" for none.
func mostFrequent(m map[string]int) (string, int) {
	best, n := "", 0
	for k, c := range m {
		if c > n || c == n && k < best {
			best, n = k, c
		}
	}
	return best, n
}

// department picks a task's department (decision 0032) and says why.
func department(groups, resources map[string]int, mapping map[string]string, def string) (string, string) {
	g, gn := mostFrequent(groups)
	r, rn := mostFrequent(resources)
	if g != "" {
		if d := deptName(mapping[g]); d != "" {
			return d, fmt.Sprintf("group %q (%s of its events) is mapped to %s", g, thousands(gn), d)
		}
	}
	if r != "" {
		if d := deptName(mapping[r]); d != "" {
			return d, fmt.Sprintf("resource %q (%s of its events) is mapped to %s", r, thousands(rn), d)
		}
	}
	if g != "" {
		if d := deptName(g); d != "" {
			return d, fmt.Sprintf("its most frequent group %q (%s of its events)", g, thousands(gn))
		}
	}
	why := "the default; the log names no group for it"
	if r != "" {
		why = fmt.Sprintf("the default; the log names no group for it, and its most frequent resource %q is not mapped", r)
	}
	return def, why
}

// deptName is s made a valid department name; "" when nothing is left.
func deptName(s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	return idFrom(s, "dept")
}

// StepID is the id a draft gives the task step of an activity (before
// making it unique among the draft's steps).
func StepID(activity string) string { return idFrom(activity, "step") }

// idFrom makes s a valid id: lowercase a-z, 0-9 and single underscores,
// starting with a letter (prefix and "_" when it would not), at most
// maxIDLength bytes.
func idFrom(s, prefix string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(r)
		default:
			under = true
		}
	}
	id := b.String()
	if id == "" {
		id = prefix
	} else if id[0] < 'a' || id[0] > 'z' {
		id = prefix + "_" + id
	}
	if len(id) > maxIDLength {
		id = strings.TrimRight(id[:maxIDLength], "_")
	}
	return id
}

// uniqueID is id, or id_2, id_3, … the first not used; it marks it used.
func uniqueID(id string, used map[string]bool) string {
	out := id
	for n := 2; used[out]; n++ {
		out = id + "_" + strconv.Itoa(n)
	}
	used[out] = true
	return out
}

// keyFrom is a flow key made from a log's name.
func keyFrom(name string) string {
	if strings.TrimSpace(name) == "" {
		return "drafted"
	}
	k := strings.ReplaceAll(idFrom(name, "drafted"), "_", "-")
	return k
}

// RoundUp rounds a duration in seconds up to a readable SLA (decision
// 0032): up to 1 hour to the next 5 minutes, up to 1 day to the next 15
// minutes, beyond that to the next whole hour; at least 5 minutes and at
// most 3650 days.
func RoundUp(sec float64) time.Duration {
	if math.IsNaN(sec) || sec <= 0 {
		return 5 * time.Minute
	}
	const maxSec = 3650 * 86400
	if sec >= maxSec {
		return maxSec * time.Second
	}
	step := 3600.0
	switch {
	case sec <= 3600:
		step = 300
	case sec <= 86400:
		step = 900
	}
	// A tolerance keeps an exact bound (3600.0000001 from float sums) on it.
	r := math.Ceil(sec/step-1e-9) * step
	return max(time.Duration(r)*time.Second, 5*time.Minute)
}

// FormatDuration writes d in flow duration syntax (flow.ParseDuration):
// days, hours and minutes, "3d5h", "2h15m", "45m".
func FormatDuration(d time.Duration) string {
	days := int64(d / (24 * time.Hour))
	d -= time.Duration(days) * 24 * time.Hour
	h := int64(d / time.Hour)
	d -= time.Duration(h) * time.Hour
	m := int64(d / time.Minute)
	var b strings.Builder
	if days > 0 {
		fmt.Fprintf(&b, "%dd", days)
	}
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 || b.Len() == 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	return b.String()
}

// seconds writes a duration readably (decision 0024) and, from a minute
// on, its exact seconds too, since the readable form rounds: "8 d 04 h
// (706,730 s)".
func seconds(sec float64) string {
	r := readable.Duration(sec)
	if sec < 60 {
		return r
	}
	return fmt.Sprintf("%s (%s s)", r, thousands(int(math.Round(sec))))
}

// thousands writes n with commas between thousands: 4,512.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// percent writes a share as a percentage with one decimal: "98.5 %".
func percent(x float64) string {
	return strconv.FormatFloat(x*100, 'f', 1, 64) + " %"
}

// comment makes s safe inside a YAML comment: one line, valid UTF-8.
func comment(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "�")
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 {
			return ' '
		}
		return r
	}, s)
}
