package eventlog

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The real Helpdesk log (../shared/data/eventlogs/README.md), beside the
// repository; never copied into it.
const helpdeskDir = "../../shared/data/eventlogs"

func helpdeskFile(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(helpdeskDir, name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("the Helpdesk log is not here (%v)", err)
	}
	return p
}

func readFile(t *testing.T, path string, opts Options) ([]Event, *Reader) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rd, err := Open(f, opts)
	require.NoError(t, err)
	var evs []Event
	for {
		ev, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return evs, rd
		}
		require.NoError(t, err)
		evs = append(evs, ev)
	}
}

// The README's figures for the log.
const (
	helpdeskCases      = 4580
	helpdeskEvents     = 21348
	helpdeskActivities = 14
	helpdeskResources  = 22
	helpdeskDuplicates = 127
)

var (
	helpdeskFirst = time.Date(2010, 1, 13, 8, 40, 25, 0, time.UTC)
	helpdeskLast  = time.Date(2014, 1, 3, 13, 20, 58, 0, time.UTC)
)

func TestHelpdeskCSVMatchesTheRawRows(t *testing.T) {
	path := helpdeskFile(t, "helpdesk.csv")
	// Independently of the reader: encoding/csv on the file, columns by
	// position, the layout written out.
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	require.NoError(t, err)
	require.Equal(t, "Complete Timestamp", rows[0][3])
	rows = rows[1:]
	cases, acts, res := map[string]bool{}, map[string]bool{}, map[string]bool{}
	seen := map[string]bool{}
	dups := 0
	var first, last time.Time
	for _, r := range rows {
		cases[r[0]], acts[r[1]], res[r[2]] = true, true, true
		ts, err := time.Parse("2006/1/2 15:04:05", r[3])
		require.NoError(t, err)
		if first.IsZero() || ts.Before(first) {
			first = ts
		}
		if ts.After(last) {
			last = ts
		}
		k := strings.Join(r, "\x00")
		if seen[k] {
			dups++
		}
		seen[k] = true
	}
	assert.Len(t, rows, helpdeskEvents)
	assert.Len(t, cases, helpdeskCases)
	assert.Len(t, acts, helpdeskActivities)
	assert.Len(t, res, helpdeskResources)
	assert.Equal(t, helpdeskFirst, first)
	assert.Equal(t, helpdeskLast, last)
	assert.Equal(t, helpdeskDuplicates, dups)

	evs, rd := readFile(t, path, Options{})
	assert.Equal(t, "yyyy/M/d HH:mm:ss", rd.Layout())
	assert.Equal(t, 0, rd.Skipped())
	require.Len(t, evs, len(rows), "every row an event, the duplicates included")
	for i, ev := range evs {
		r := rows[i]
		ts, _ := time.Parse("2006/1/2 15:04:05", r[3])
		if !assert.Equal(t, []string{r[0], r[1], r[2], ts.Format(time.RFC3339)},
			[]string{ev.Case, ev.Activity, ev.Resource, ev.Time.Format(time.RFC3339)}, "row %d", i+2) {
			break
		}
		require.Len(t, ev.Attrs, 12)
		assert.Equal(t, Attr{"Variant_2", r[6], "string"}, ev.Attrs[2])
		assert.Equal(t, Attr{"workgroup", r[15], "string"}, ev.Attrs[11])
	}
	assert.Equal(t, 2, evs[0].Pos.Line)
	assert.Equal(t, len(rows)+1, evs[len(evs)-1].Pos.Line, "the last line, without a newline")
}

// key is what the CSV and XES events of the log have in common: the XES
// has no Variant columns.
func key(ev Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%s|%s|%s|%s|%s|%s", ev.Case, ev.Activity, ev.Time.Format(time.RFC3339Nano), ev.Resource, ev.Group, ev.Lifecycle, ev.Start)
	for _, a := range ev.Attrs {
		if !strings.HasPrefix(a.Name, "Variant") {
			fmt.Fprintf(&b, "|%s=%s", a.Name, a.Value)
		}
	}
	return b.String()
}

func TestHelpdeskCSVAndXESGiveTheSameEvents(t *testing.T) {
	csvPath := helpdeskFile(t, "helpdesk.csv")
	xesPath := helpdeskFile(t, "helpdesk.xes.gz")

	// Independently of the reader: the XES's traces and events by their
	// tags.
	f, err := os.Open(xesPath)
	require.NoError(t, err)
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	xml, err := io.ReadAll(zr)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	assert.Equal(t, helpdeskCases, bytes.Count(xml, []byte("<trace>")))
	assert.Equal(t, helpdeskEvents, bytes.Count(xml, []byte("<event>")))

	csvEvs, _ := readFile(t, csvPath, Options{})
	xesEvs, rd := readFile(t, xesPath, Options{})
	assert.True(t, rd.Gzipped())
	assert.Equal(t, XES, rd.Format())
	require.Len(t, xesEvs, helpdeskEvents)

	perCase := func(evs []Event) (map[string][]string, []string) {
		m := map[string][]string{}
		var order []string
		for _, ev := range evs {
			if _, ok := m[ev.Case]; !ok {
				order = append(order, ev.Case)
			}
			m[ev.Case] = append(m[ev.Case], key(ev))
		}
		return m, order
	}
	c, _ := perCase(csvEvs)
	x, _ := perCase(xesEvs)
	require.Len(t, c, helpdeskCases)
	require.Len(t, x, helpdeskCases)
	for id, seq := range c {
		if !assert.Equal(t, seq, x[id], "case %s", id) {
			break
		}
	}

	acts, res := map[string]bool{}, map[string]bool{}
	first, last := xesEvs[0].Time, xesEvs[0].Time
	for _, ev := range xesEvs {
		acts[ev.Activity], res[ev.Resource] = true, true
		if ev.Time.Before(first) {
			first = ev.Time
		}
		if ev.Time.After(last) {
			last = ev.Time
		}
	}
	assert.Len(t, acts, helpdeskActivities)
	assert.Len(t, res, helpdeskResources)
	assert.Equal(t, helpdeskFirst, first)
	assert.Equal(t, helpdeskLast, last)
}
