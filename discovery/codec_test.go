package discovery

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestChunkRoundTrip(t *testing.T) {
	l := sample()
	start := at(33)
	l.Cases[1].Events[3].Start = &start
	ready := at(30)
	l.Cases[1].Events[3].Scheduled = &ready
	l.Cases[0].Events[1].Scheduled = &ready
	// Times before 1970 and far apart, empty names, a case without events.
	l.Cases = append(l.Cases,
		Case{ID: "old", Events: []Event{{Activity: "A", Time: time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC)},
			{Activity: "", Time: time.Date(2040, 1, 1, 0, 0, 0, 1, time.UTC), Group: "g"}}},
		Case{ID: "empty", Attrs: []Attr{{"k", ""}}, Events: []Event{}})
	data := EncodeChunk(l.Cases)
	got, err := DecodeChunk(data)
	require.NoError(t, err)
	require.Equal(t, l.Cases, got)
	// The views read a decoded log as the original.
	require.Equal(t, Activities(l), Activities(Log{Cases: got}))

	none, err := DecodeChunk(EncodeChunk(nil))
	require.NoError(t, err)
	require.Empty(t, none)
}

func TestChunkIsCompact(t *testing.T) {
	// 1,000 cases of 5 events over 5 activities and 10 resources: the
	// names are stored once; an event takes a few bytes.
	var cases []Case
	for i := range 1000 {
		c := Case{ID: "case-" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676))}
		for j := range 5 {
			c.Events = append(c.Events, Event{Activity: []string{"record", "investigate", "review", "notify", "close"}[j],
				Time: at(float64(i*60 + j*7)), Resource: []string{"ann", "bob", "cy", "dee", "eve", "fay", "gus", "hal", "ida", "jo"}[(i+j)%10]})
		}
		cases = append(cases, c)
	}
	data := EncodeChunk(cases)
	require.Less(t, len(data), 1000*5*16, "under 16 bytes an event (times in ns take most): %d bytes", len(data))
	got, err := DecodeChunk(data)
	require.NoError(t, err)
	require.Equal(t, cases, got)
}

func TestDamagedChunksAreErrors(t *testing.T) {
	data := EncodeChunk(sample().Cases)
	// Every truncation and every single-byte change is an error or a
	// different (well-formed) chunk, never a panic.
	for n := range len(data) {
		_, err := DecodeChunk(data[:n])
		require.ErrorIs(t, err, ErrBadChunk, "truncated at %d", n)
	}
	for i := range data {
		b := append([]byte(nil), data...)
		b[i] ^= 0xff
		_, err := DecodeChunk(b)
		if err != nil {
			require.True(t, errors.Is(err, ErrBadChunk), "%v", err)
		}
	}
	_, err := DecodeChunk(append(append([]byte(nil), data...), 0))
	require.ErrorIs(t, err, ErrBadChunk, "trailing bytes")
	// A count larger than the chunk is refused before anything is allocated.
	_, err = DecodeChunk(append([]byte("FLC1"), 0xff, 0xff, 0xff, 0xff, 0x0f))
	require.ErrorIs(t, err, ErrBadChunk)
}

func FuzzDecodeChunk(f *testing.F) {
	f.Add(EncodeChunk(sample().Cases))
	f.Add(EncodeChunk(nil))
	f.Add([]byte("FLC1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cases, err := DecodeChunk(data)
		if err != nil {
			require.ErrorIs(t, err, ErrBadChunk)
			return
		}
		// What decodes encodes back to something that decodes the same.
		again, err := DecodeChunk(EncodeChunk(cases))
		require.NoError(t, err)
		require.Equal(t, len(cases), len(again))
	})
}
