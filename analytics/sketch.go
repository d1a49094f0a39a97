package analytics

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// SketchRelativeAccuracy is the relative error bound of a Sketch: every
// quantile it returns is within this fraction of the exact quantile of the
// values it holds (PostgreSQL's percentile_cont, Quantile here).
const SketchRelativeAccuracy = 0.005

// sketchMinValue is the smallest value a Sketch tells apart from zero
// (seconds: a microsecond); smaller values count as zero.
const sketchMinValue = 1e-6

var (
	sketchGamma   = (1 + SketchRelativeAccuracy) / (1 - SketchRelativeAccuracy)
	sketchLnGamma = math.Log(sketchGamma)
)

// Sketch is a mergeable quantile sketch of non-negative values with a
// relative error guarantee: a DDSketch (Masson, Rim and Lee, VLDB 2019)
// with the logarithmic mapping and dense bins. Bin i counts the values in
// (γ^(i-1), γ^i], γ = (1+α)/(1-α); its representative 2γ^i/(γ+1) is within
// α of every value in it. Zero (and values below a microsecond) has a bin
// of its own. Two sketches merge exactly by adding their bins, so a
// sketch of a union of sets is the same whatever the grouping.
//
// The zero value is an empty sketch.
type Sketch struct {
	zeros  uint64
	offset int      // index of counts[0]
	counts []uint64 // counts[k] is bin offset+k
	n      uint64
}

func sketchIndex(x float64) int { return int(math.Ceil(math.Log(x) / sketchLnGamma)) }

func sketchValue(i int) float64 { return 2 * math.Pow(sketchGamma, float64(i)) / (sketchGamma + 1) }

// Add counts x; negative and NaN values count as zero.
func (s *Sketch) Add(x float64) { s.addN(x, 1) }

func (s *Sketch) addN(x float64, c uint64) {
	s.n += c
	if !(x >= sketchMinValue) { // also NaN
		s.zeros += c
		return
	}
	if math.IsInf(x, 1) {
		x = math.MaxFloat64
	}
	s.addBin(sketchIndex(x), c)
}

func (s *Sketch) addBin(i int, c uint64) {
	if len(s.counts) == 0 {
		s.offset = i
		s.counts = append(s.counts[:0], c)
		return
	}
	if i < s.offset {
		grow := s.offset - i
		nc := make([]uint64, grow+len(s.counts), grow+len(s.counts)+8)
		copy(nc[grow:], s.counts)
		s.counts, s.offset = nc, i
	} else if k := i - s.offset; k >= len(s.counts) {
		s.counts = append(s.counts, make([]uint64, k-len(s.counts)+1)...)
	}
	s.counts[i-s.offset] += c
}

// Count is the number of values added.
func (s *Sketch) Count() uint64 { return s.n }

// Merge adds the values of o to s.
func (s *Sketch) Merge(o *Sketch) {
	if o.n == 0 {
		return
	}
	s.n += o.n
	s.zeros += o.zeros
	if len(o.counts) == 0 {
		return
	}
	if len(s.counts) == 0 {
		s.offset = o.offset
		s.counts = append(s.counts[:0], o.counts...)
		return
	}
	lo, hi := min(s.offset, o.offset), max(s.offset+len(s.counts), o.offset+len(o.counts))
	if lo < s.offset || hi > s.offset+len(s.counts) {
		nc := make([]uint64, hi-lo)
		copy(nc[s.offset-lo:], s.counts)
		s.counts, s.offset = nc, lo
	}
	base := o.offset - s.offset
	for k, c := range o.counts {
		s.counts[base+k] += c
	}
}

// valueAt estimates the rank-th smallest value (0-based, rank < n).
func (s *Sketch) valueAt(rank uint64) float64 {
	if rank < s.zeros {
		return 0
	}
	seen := s.zeros
	for k, c := range s.counts {
		seen += c
		if rank < seen {
			return sketchValue(s.offset + k)
		}
	}
	return sketchValue(s.offset + len(s.counts) - 1)
}

// Quantile estimates the q-quantile by the definition of Quantile (linear
// interpolation between the closest ranks), interpolating between the
// estimates of those two ranks: each is within α of its exact value, so
// the result is within α of the exact quantile. An empty sketch returns 0.
func (s *Sketch) Quantile(q float64) float64 {
	if s.n == 0 {
		return 0
	}
	if math.IsNaN(q) || q <= 0 {
		return s.valueAt(0)
	}
	if q >= 1 {
		return s.valueAt(s.n - 1)
	}
	pos := q * float64(s.n-1)
	lo := uint64(math.Floor(pos))
	frac := pos - float64(lo)
	v := s.valueAt(lo)
	if frac == 0 || lo+1 >= s.n {
		return v
	}
	return v + frac*(s.valueAt(lo+1)-v)
}

// Quantiles returns the p50, p90 and p95 of the sketch.
func (s *Sketch) Quantiles() Quantiles {
	return Quantiles{P50: s.Quantile(0.5), P90: s.Quantile(0.9), P95: s.Quantile(0.95)}
}

// AppendBinary appends the sketch's encoding to b.
func (s *Sketch) AppendBinary(b []byte) []byte {
	b = binary.AppendUvarint(b, s.zeros)
	b = binary.AppendVarint(b, int64(s.offset))
	b = binary.AppendUvarint(b, uint64(len(s.counts)))
	for _, c := range s.counts {
		b = binary.AppendUvarint(b, c)
	}
	return b
}

var errSketchEncoding = errors.New("analytics: malformed sketch encoding")

// decodeFrom reads a sketch written by AppendBinary from b and returns the
// rest of b.
func (s *Sketch) decodeFrom(b []byte) ([]byte, error) {
	var ok bool
	uv := func() uint64 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			ok = false
			return 0
		}
		b = b[n:]
		return v
	}
	ok = true
	zeros := uv()
	off, n := binary.Varint(b)
	if !ok || n <= 0 {
		return nil, errSketchEncoding
	}
	b = b[n:]
	size := uv()
	if !ok || size > uint64(len(b)) || off < math.MinInt32 || off > math.MaxInt32 {
		return nil, errSketchEncoding
	}
	*s = Sketch{zeros: zeros, offset: int(off), n: zeros}
	if size > 0 {
		s.counts = make([]uint64, size)
		for k := range s.counts {
			c := uv()
			s.counts[k] = c
			s.n += c
		}
	}
	if !ok {
		return nil, errSketchEncoding
	}
	return b, nil
}

// MarshalBinary encodes the sketch.
func (s *Sketch) MarshalBinary() ([]byte, error) { return s.AppendBinary(nil), nil }

// UnmarshalBinary decodes a sketch encoded by MarshalBinary.
func (s *Sketch) UnmarshalBinary(b []byte) error {
	rest, err := s.decodeFrom(b)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", errSketchEncoding, len(rest))
	}
	return nil
}
