// Package logimport imports an event log export into the store and loads
// it back for discovery (issue 17). Import reads the file as a stream
// (package eventlog), keeps each event in a compact form (interned names,
// times as integers), then groups the events by case, orders each case by
// time (ties in file order), pairs start and complete events, and writes
// the cases in chunks (discovery's codec) to a log that stays "importing"
// until its last chunk is in (decision 0030): a failed or cancelled import
// leaves no log behind. Load reads a ready log back as a discovery.Log.
package logimport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/flowlab/flowlab/discovery"
	"github.com/flowlab/flowlab/eventlog"
	"github.com/flowlab/flowlab/store"
)

// Defaults of Params.
const (
	DefaultChunkCases = 2000
	DefaultMaxEvents  = 10_000_000
)

// ErrTooLarge is a log with more events than Params.MaxEvents.
var ErrTooLarge = errors.New("logimport: the log has more events than allowed")

// ErrEmpty is a log without any event.
var ErrEmpty = errors.New("logimport: the log has no events")

// Params describe one import.
type Params struct {
	ID, Name string
	// Source is the file name, for people.
	Source string
	Actor  string
	At     time.Time
	// Options are the reader's (mapping, zone, layout, SkipBadRows).
	Options eventlog.Options
	// ChunkCases is how many cases a chunk holds (DefaultChunkCases);
	// MaxEvents bounds the events of one log (DefaultMaxEvents).
	ChunkCases int
	MaxEvents  int
	// Progress, when set, is told how many events were read, every 10,000
	// events and at the end.
	Progress func(events int)
}

// Report is what an import found: how the file was read and its figures.
type Report struct {
	Format  string           `json:"format"`
	Gzipped bool             `json:"gzipped"`
	Layout  string           `json:"layout"`
	Mapping eventlog.Mapping `json:"mapping"`
	Cases   int              `json:"cases"`
	// Events are the log's events after each start was paired with its
	// completion (an activity instance is one event, decision 0029);
	// Read is how many events the file held.
	Events   int                `json:"events"`
	Read     int                `json:"read"`
	Skipped  int                `json:"skipped"`
	Problems []eventlog.Problem `json:"problems"`
}

// compact is one event as the import keeps it: names by their index in the
// import's string table, times in Unix nanoseconds.
type compact struct {
	cas, act, res, grp, life int32
	hasStart                 bool
	t, start                 int64
}

// blockBits sizes the blocks the compact events are kept in: 65,536 events
// (2.5 MiB) a block, so that the events never move as they grow (a slice
// doubling would hold the old and the new array at once, a third more
// memory at its peak).
const blockBits = 16

// eventBlocks holds the compact events in fixed blocks.
type eventBlocks struct {
	blocks [][]compact
	n      int
}

func (b *eventBlocks) add(c compact) {
	if b.n>>blockBits == len(b.blocks) {
		b.blocks = append(b.blocks, make([]compact, 0, 1<<blockBits))
	}
	last := &b.blocks[len(b.blocks)-1]
	*last = append(*last, c)
	b.n++
}

func (b *eventBlocks) at(i int) *compact { return &b.blocks[i>>blockBits][i&(1<<blockBits-1)] }

// interner numbers strings.
type interner struct {
	index map[string]int32
	names []string
}

func (n *interner) id(s string) int32 {
	if i, ok := n.index[s]; ok {
		return i
	}
	i := int32(len(n.names))
	n.index[s] = i
	n.names = append(n.names, s)
	return i
}

// Import reads the log in r into the store as log p.ID and returns it with
// the import's report. On any error the log is deleted again.
func Import(ctx context.Context, st store.Store, r io.Reader, p Params) (l store.EventLog, rep Report, err error) {
	if p.ChunkCases <= 0 {
		p.ChunkCases = DefaultChunkCases
	}
	if p.MaxEvents <= 0 {
		p.MaxEvents = DefaultMaxEvents
	}
	p.MaxEvents = min(p.MaxEvents, math.MaxInt32) // events are numbered in int32
	rd, err := eventlog.Open(r, p.Options)
	if err != nil {
		return store.EventLog{}, Report{}, fmt.Errorf("logimport: %w", err)
	}
	mapping, _ := json.Marshal(rd.Mapping())
	if _, err := st.CreateEventLog(ctx, store.CreateEventLogParams{ID: p.ID, Name: p.Name, Source: p.Source,
		Format: string(rd.Format()), Mapping: mapping, Actor: p.Actor, At: p.At}); err != nil {
		return store.EventLog{}, Report{}, fmt.Errorf("logimport: %w", err)
	}
	defer func() {
		if err != nil {
			// All or nothing: what was written goes (on a context of its
			// own, so that a cancelled import is cleaned up too).
			_ = st.DeleteEventLog(context.WithoutCancel(ctx), p.ID)
		}
	}()

	names := &interner{index: map[string]int32{}}
	names.id("") // index 0: no name
	var (
		events    eventBlocks
		caseAttrs = map[int32][]discovery.Attr{}
	)
	for {
		ev, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return store.EventLog{}, Report{}, fmt.Errorf("logimport: %w", err)
		}
		if events.n >= p.MaxEvents {
			return store.EventLog{}, Report{}, fmt.Errorf("%w (%d)", ErrTooLarge, p.MaxEvents)
		}
		c := compact{cas: names.id(ev.Case), act: names.id(ev.Activity), res: names.id(ev.Resource),
			grp: names.id(ev.Group), life: names.id(ev.Lifecycle), t: ev.Time.UnixNano()}
		if ev.Start != nil {
			c.hasStart, c.start = true, ev.Start.UnixNano()
		}
		if _, ok := caseAttrs[c.cas]; !ok {
			caseAttrs[c.cas] = attrsOf(ev)
		}
		events.add(c)
		if events.n%10_000 == 0 {
			if err := ctx.Err(); err != nil {
				return store.EventLog{}, Report{}, fmt.Errorf("logimport: %w", err)
			}
			if p.Progress != nil {
				p.Progress(events.n)
			}
		}
	}
	if p.Progress != nil {
		p.Progress(events.n)
	}
	rep = Report{Format: string(rd.Format()), Gzipped: rd.Gzipped(), Layout: rd.Layout(), Mapping: rd.Mapping(),
		Read: events.n, Skipped: rd.Skipped(), Problems: rd.Problems()}
	if events.n == 0 {
		return store.EventLog{}, Report{}, ErrEmpty
	}

	// Group by case, cases in order of first appearance, each case's
	// events by time (stable: ties keep the file's order). A counting
	// sort by the case's ordinal into one index slice, not a slice per
	// case: the grouping adds 4 bytes an event to what the import holds.
	ord := make([]int32, len(names.names)) // interned case id → ordinal+1
	var order []int32                      // ordinal → interned case id
	for i := range events.n {
		e := events.at(i)
		if ord[e.cas] == 0 {
			order = append(order, e.cas)
			ord[e.cas] = int32(len(order))
		}
	}
	starts := make([]int32, len(order)+1) // case k's events are idx[starts[k]:starts[k+1]]
	for i := range events.n {
		starts[ord[events.at(i).cas]]++
	}
	for k := 1; k <= len(order); k++ {
		starts[k] += starts[k-1]
	}
	idx := make([]int32, events.n)
	next := slices.Clone(starts[:len(order)])
	for i := range events.n {
		k := ord[events.at(i).cas] - 1
		idx[next[k]] = int32(i)
		next[k]++
	}
	ord, next = nil, nil
	rep.Cases = len(order)
	var (
		first, last int64
		timed       bool // first and last hold an event's time
	)
	var chunk []discovery.Case
	seq := 0
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		if err := st.PutEventLogChunk(ctx, p.ID, seq, discovery.EncodeChunk(chunk), p.At); err != nil {
			return fmt.Errorf("logimport: chunk %d: %w", seq, err)
		}
		seq++
		chunk = chunk[:0]
		return nil
	}
	for n, cas := range order {
		ci := idx[starts[n]:starts[n+1]]
		slices.SortStableFunc(ci, func(a, b int32) int { return cmpInt64(events.at(int(a)).t, events.at(int(b)).t) })
		c := discovery.Case{ID: names.names[cas], Attrs: caseAttrs[cas]}
		for _, ev := range pair(&events, ci, names) {
			rep.Events++
			c.Events = append(c.Events, ev)
			t := ev.Time.UnixNano()
			if !timed || t < first {
				first = t
			}
			if !timed || t > last {
				last = t
			}
			timed = true
		}
		chunk = append(chunk, c)
		if len(chunk) >= p.ChunkCases {
			if err := flush(); err != nil {
				return store.EventLog{}, Report{}, err
			}
		}
		if n%1000 == 0 {
			if err := ctx.Err(); err != nil {
				return store.EventLog{}, Report{}, fmt.Errorf("logimport: %w", err)
			}
		}
	}
	if err := flush(); err != nil {
		return store.EventLog{}, Report{}, err
	}
	summary, _ := json.Marshal(rep)
	l, err = st.FinishEventLog(ctx, store.FinishEventLogParams{ID: p.ID, Cases: rep.Cases, Events: rep.Events,
		First: time.Unix(0, first).UTC(), Last: time.Unix(0, last).UTC(), Summary: summary, At: p.At})
	if err != nil {
		return store.EventLog{}, Report{}, fmt.Errorf("logimport: %w", err)
	}
	return l, rep, nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// attrsOf is a case's attributes as its first event gives them: the case
// attributes of the log (XES trace attributes, CSV "case:" columns), or,
// when the log has none, the first event's other columns.
func attrsOf(ev eventlog.Event) []discovery.Attr {
	src := ev.CaseAttrs
	if len(src) == 0 {
		src = ev.Attrs
	}
	out := make([]discovery.Attr, 0, len(src))
	for _, a := range src {
		out = append(out, discovery.Attr{Name: a.Name, Value: a.Value})
	}
	return out
}

// pair is one case's events (idx, in order) with each start paired to its
// completion (eventlog.Pair), as discovery events.
func pair(events *eventBlocks, idx []int32, names *interner) []discovery.Event {
	evs := make([]eventlog.Event, len(idx))
	for i, j := range idx {
		e := events.at(int(j))
		evs[i] = eventlog.Event{Case: names.names[e.cas], Activity: names.names[e.act], Time: time.Unix(0, e.t).UTC(),
			Resource: names.names[e.res], Group: names.names[e.grp], Lifecycle: names.names[e.life]}
		if e.hasStart {
			s := time.Unix(0, e.start).UTC()
			evs[i].Start = &s
		}
	}
	paired := eventlog.Pair(evs)
	out := make([]discovery.Event, len(paired))
	for i, e := range paired {
		out[i] = discovery.Event{Activity: e.Activity, Time: e.Time, Start: e.Start, Scheduled: e.Scheduled, Resource: e.Resource, Group: e.Group}
	}
	return out
}

// Load reads a ready log as discovery reads it, indexed for its views.
func Load(ctx context.Context, st store.Store, id string) (discovery.Log, error) {
	l, err := st.GetEventLog(ctx, id)
	if err != nil {
		return discovery.Log{}, fmt.Errorf("logimport: load %s: %w", id, err)
	}
	if l.Status != store.EventLogReady {
		return discovery.Log{}, fmt.Errorf("logimport: load %s: the log is %s: %w", id, l.Status, store.ErrConflict)
	}
	out := discovery.Log{Cases: make([]discovery.Case, 0, l.Cases)}
	err = st.EventLogChunks(ctx, id, func(seq int, data []byte) error {
		cases, err := discovery.DecodeChunk(data)
		if err != nil {
			return fmt.Errorf("chunk %d: %w", seq, err)
		}
		out.Cases = append(out.Cases, cases...)
		return nil
	})
	if err != nil {
		return discovery.Log{}, fmt.Errorf("logimport: load %s: %w", id, err)
	}
	// Indexed once here, so every view of the loaded log counts without
	// numbering its names again.
	return out.Indexed(), nil
}
