package eventlog

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// MaxPreviewProblems bounds the problems a preview collects.
const MaxPreviewProblems = 1000

// PreviewResult is what a preview shows before an import: the detected
// format, mapping and layout, the first events as parsed, the counts so
// far and every problem found so far.
type PreviewResult struct {
	Format   Format   `json:"format"`
	Gzipped  bool     `json:"gzipped"`
	Columns  []string `json:"columns"`
	Mapping  Mapping  `json:"mapping"`
	Layout   string   `json:"layout"`
	TimeZone string   `json:"time_zone"`
	Events   []Event  `json:"events"`
	// Read is how many events were read, Bad how many bad rows were
	// found among the rows read.
	Read     int       `json:"read"`
	Bad      int       `json:"bad"`
	Problems []Problem `json:"problems"`
	// Complete is true when the preview reached the end of the log.
	Complete bool `json:"complete"`
}

// Preview reads the first n events of a log with opts, skipping bad rows
// (at most MaxPreviewProblems of them, all reported), and says what it
// found. When the log cannot be read further (a mapping without a
// column for a field, an ambiguous timestamp layout, a limit), the result
// so far comes with the error, so that a caller can show the columns and
// the mapping and ask for what is missing.
func Preview(r io.Reader, opts Options, n int) (*PreviewResult, error) {
	return PreviewContext(context.Background(), r, opts, n, false)
}

// PreviewContext is Preview that, with all, reads on to the end of the log
// after the first n events (a dry run: every event and bad row counted,
// at most MaxPreviewProblems problems kept), and stops when ctx ends.
func PreviewContext(ctx context.Context, r io.Reader, opts Options, n int, all bool) (*PreviewResult, error) {
	opts.SkipBadRows = true
	opts.KeepProblems = MaxPreviewProblems
	zone := "UTC"
	if opts.TimeZone != "" {
		zone = opts.TimeZone
	}
	rd, err := Open(r, opts)
	if err != nil {
		var me *MappingError
		if errors.As(err, &me) {
			return &PreviewResult{Format: CSV, Columns: me.Columns, Mapping: me.Detected, TimeZone: zone}, err
		}
		return nil, err
	}
	res := &PreviewResult{Format: rd.Format(), Gzipped: rd.Gzipped(), TimeZone: zone}
	fill := func() {
		res.Columns, res.Mapping, res.Layout = rd.Columns(), rd.Mapping(), rd.Layout()
		res.Read, res.Bad, res.Problems = rd.Events(), rd.Skipped(), rd.Problems()
	}
	for all || (len(res.Events) < n && rd.Skipped() < MaxPreviewProblems) {
		if rd.Events()%10_000 == 0 {
			if err := ctx.Err(); err != nil {
				fill()
				return res, fmt.Errorf("eventlog: preview: %w", err)
			}
		}
		ev, err := rd.Next()
		if errors.Is(err, io.EOF) {
			res.Complete = true
			break
		}
		if err != nil {
			fill()
			return res, err
		}
		if len(res.Events) < n {
			res.Events = append(res.Events, ev)
		}
	}
	fill()
	return res, nil
}
