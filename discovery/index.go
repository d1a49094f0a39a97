package discovery

import "encoding/binary"

// index numbers a log's activity, resource and group names once, so that
// the views count with integers instead of hashing every event's strings:
// on a log of a million events that is the difference between a second
// and a fraction of it. It is built per view call; the names keep their
// first-seen order, and every view sorts its output by name, so the
// numbering never shows.
type index struct {
	acts  []string
	names map[string]int32 // activity → id
	// ev[i][j] is the activity id of case i's event j.
	ev [][]int32
	// res and grp number resources and groups the same way (0: none);
	// nil unless the index was built with people.
	resNames, grpNames []string
	res, grp           [][]int32
	// variant[i] numbers case i's variant (its sequence of activities),
	// -1 for a case without events; variants is how many there are.
	variant  []int32
	variants int
}

func newIndex(l Log, people bool) *index {
	ix := &index{names: map[string]int32{}, ev: make([][]int32, len(l.Cases))}
	total := 0
	for _, c := range l.Cases {
		total += len(c.Events)
	}
	flat := make([]int32, total)
	var resIdx, grpIdx map[string]int32
	var resFlat, grpFlat []int32
	if people {
		resIdx, grpIdx = map[string]int32{"": 0}, map[string]int32{"": 0}
		ix.resNames, ix.grpNames = []string{""}, []string{""}
		resFlat, grpFlat = make([]int32, total), make([]int32, total)
		ix.res, ix.grp = make([][]int32, len(l.Cases)), make([][]int32, len(l.Cases))
	}
	off := 0
	for i, c := range l.Cases {
		ids := flat[off : off+len(c.Events) : off+len(c.Events)]
		prev, prevID := "", int32(-1)
		for j, e := range c.Events {
			if e.Activity == prev && prevID >= 0 {
				ids[j] = prevID
				continue
			}
			id, ok := ix.names[e.Activity]
			if !ok {
				id = int32(len(ix.acts))
				ix.names[e.Activity] = id
				ix.acts = append(ix.acts, e.Activity)
			}
			ids[j], prev, prevID = id, e.Activity, id
		}
		ix.ev[i] = ids
		if people {
			r := resFlat[off : off+len(c.Events) : off+len(c.Events)]
			g := grpFlat[off : off+len(c.Events) : off+len(c.Events)]
			for j, e := range c.Events {
				r[j] = intern(resIdx, &ix.resNames, e.Resource)
				g[j] = intern(grpIdx, &ix.grpNames, e.Group)
			}
			ix.res[i], ix.grp[i] = r, g
		}
		off += len(c.Events)
	}
	ix.variant = make([]int32, len(l.Cases))
	seen := map[string]int32{}
	var buf []byte
	for i, ids := range ix.ev {
		if len(ids) == 0 {
			ix.variant[i] = -1
			continue
		}
		var k string
		buf, k = seqKey(buf, ids)
		id, ok := seen[k]
		if !ok {
			id = int32(len(seen))
			seen[k] = id
		}
		ix.variant[i] = id
	}
	ix.variants = len(seen)
	return ix
}

func intern(m map[string]int32, names *[]string, s string) int32 {
	if id, ok := m[s]; ok {
		return id
	}
	id := int32(len(*names))
	m[s] = id
	*names = append(*names, s)
	return id
}

// seqKey is a compact map key for a sequence of activity ids (not for
// people: VariantKey is the variant's key).
func seqKey(buf []byte, ids []int32) ([]byte, string) {
	buf = buf[:0]
	for _, id := range ids {
		buf = binary.AppendUvarint(buf, uint64(id))
	}
	return buf, string(buf)
}

// pairKey packs two ids into one map key.
func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }
