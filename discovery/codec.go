package discovery

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// A chunk is a run of whole cases in the compact binary form the store
// keeps an imported log in (decision 0030): a string table (activities,
// resources, groups, attribute names and values, case ids), then the cases,
// each with its attributes and its events; times are nanoseconds since the
// Unix epoch, each event's as the difference from the one before it in the
// case, all as varints. EncodeChunk and DecodeChunk are each other's
// inverse; DecodeChunk checks every count and index against what is left,
// so a damaged chunk is an error, never a panic or a huge allocation.

// chunkMagic starts every chunk (format version 1).
var chunkMagic = []byte("FLC1")

// ErrBadChunk is a chunk that is not one EncodeChunk wrote.
var ErrBadChunk = errors.New("discovery: malformed chunk")

// EncodeChunk encodes cases.
func EncodeChunk(cases []Case) []byte {
	index := map[string]uint64{}
	var table []string
	ref := func(s string) uint64 {
		if i, ok := index[s]; ok {
			return i
		}
		i := uint64(len(table))
		index[s] = i
		table = append(table, s)
		return i
	}
	// The body first, so the table is complete; the table goes in front.
	var body []byte
	body = binary.AppendUvarint(body, uint64(len(cases)))
	for _, c := range cases {
		body = binary.AppendUvarint(body, ref(c.ID))
		body = binary.AppendUvarint(body, uint64(len(c.Attrs)))
		for _, a := range c.Attrs {
			body = binary.AppendUvarint(body, ref(a.Name))
			body = binary.AppendUvarint(body, ref(a.Value))
		}
		body = binary.AppendUvarint(body, uint64(len(c.Events)))
		var prev int64
		for i, e := range c.Events {
			body = binary.AppendUvarint(body, ref(e.Activity))
			t := e.Time.UnixNano()
			if i == 0 {
				body = binary.AppendVarint(body, t)
			} else {
				body = binary.AppendVarint(body, t-prev)
			}
			prev = t
			// Flags: 1 a start follows, 2 a scheduled time follows (a
			// chunk of a log without either is as format 1 wrote it).
			var flag byte
			if e.Start != nil {
				flag |= 1
			}
			if e.Scheduled != nil {
				flag |= 2
			}
			body = append(body, flag)
			if e.Start != nil {
				body = binary.AppendVarint(body, t-e.Start.UnixNano())
			}
			if e.Scheduled != nil {
				body = binary.AppendVarint(body, t-e.Scheduled.UnixNano())
			}
			body = binary.AppendUvarint(body, optRef(ref, e.Resource))
			body = binary.AppendUvarint(body, optRef(ref, e.Group))
		}
	}
	out := append([]byte(nil), chunkMagic...)
	out = binary.AppendUvarint(out, uint64(len(table)))
	for _, s := range table {
		out = binary.AppendUvarint(out, uint64(len(s)))
		out = append(out, s...)
	}
	return append(out, body...)
}

// optRef is 0 for an empty string, else its table index plus one.
func optRef(ref func(string) uint64, s string) uint64 {
	if s == "" {
		return 0
	}
	return ref(s) + 1
}

// chunkReader reads a chunk, failing on the first thing out of place.
type chunkReader struct {
	b     []byte
	table []string
	err   error
}

func (r *chunkReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrBadChunk, what)
	}
}

func (r *chunkReader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *chunkReader) varint(what string) int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a count of items that take at least min bytes each.
func (r *chunkReader) count(what string, min int) int {
	n := r.uvarint(what)
	if r.err == nil && n > uint64(len(r.b)/min) {
		r.fail(what + ": more than the chunk holds")
		return 0
	}
	return int(n)
}

func (r *chunkReader) str(what string) string {
	i := r.uvarint(what)
	if r.err == nil && i >= uint64(len(r.table)) {
		r.fail(what + ": not in the string table")
		return ""
	}
	if r.err != nil {
		return ""
	}
	return r.table[i]
}

func (r *chunkReader) optStr(what string) string {
	i := r.uvarint(what)
	if r.err != nil || i == 0 {
		return ""
	}
	if i-1 >= uint64(len(r.table)) {
		r.fail(what + ": not in the string table")
		return ""
	}
	return r.table[i-1]
}

// DecodeChunk decodes a chunk EncodeChunk wrote.
func DecodeChunk(data []byte) ([]Case, error) {
	if len(data) < len(chunkMagic) || string(data[:len(chunkMagic)]) != string(chunkMagic) {
		return nil, fmt.Errorf("%w: not a flowlab event chunk", ErrBadChunk)
	}
	r := &chunkReader{b: data[len(chunkMagic):]}
	n := r.count("string table size", 1)
	r.table = make([]string, 0, n)
	for range n {
		l := r.uvarint("string length")
		if r.err == nil && l > uint64(len(r.b)) {
			r.fail("string longer than the chunk")
		}
		if r.err != nil {
			return nil, r.err
		}
		r.table = append(r.table, string(r.b[:l]))
		r.b = r.b[l:]
	}
	nc := r.count("cases", 3)
	cases := make([]Case, 0, nc)
	for range nc {
		c := Case{ID: r.str("case id")}
		na := r.count("attributes", 2)
		for range na {
			c.Attrs = append(c.Attrs, Attr{Name: r.str("attribute name"), Value: r.str("attribute value")})
		}
		ne := r.count("events", 5)
		c.Events = make([]Event, 0, ne)
		var t int64
		for i := range ne {
			e := Event{Activity: r.str("activity")}
			d := r.varint("time")
			if i == 0 {
				t = d
			} else {
				t += d
			}
			e.Time = time.Unix(0, t).UTC()
			if r.err == nil && len(r.b) == 0 {
				r.fail("start flag")
			}
			if r.err != nil {
				return nil, r.err
			}
			flag := r.b[0]
			r.b = r.b[1:]
			if flag > 3 {
				r.fail("start flag")
			}
			if flag&1 != 0 {
				s := time.Unix(0, t-r.varint("start")).UTC()
				e.Start = &s
			}
			if flag&2 != 0 {
				s := time.Unix(0, t-r.varint("scheduled")).UTC()
				e.Scheduled = &s
			}
			e.Resource = r.optStr("resource")
			e.Group = r.optStr("group")
			c.Events = append(c.Events, e)
		}
		if r.err != nil {
			return nil, r.err
		}
		cases = append(cases, c)
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the last case", ErrBadChunk, len(r.b))
	}
	return cases, nil
}
