package httpx

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/stretchr/testify/require"
)

// The strict key check reads a body once: where a key stands is worked out
// only for a refusal. Before, every key's line and column were counted from
// the body's start, so a body of many attribute keys cost the square of its
// size (about 10^11 steps for 1 MiB, minutes of CPU from one request). The
// check compares 8 times the keys with the work it takes: linear is about
// 8 times, quadratic about 64; the best of five runs each damps noise, and the bound (32) lies between the two.
func TestStrictKeysAreLinearInTheBody(t *testing.T) {
	body := func(n int) []byte {
		var b strings.Builder
		b.WriteString(`{"flow":"complaint","customer":"c","attributes":{`)
		for i := range n {
			if i > 0 {
				b.WriteString(",\n")
			}
			fmt.Fprintf(&b, `"k%d":%d`, i, i)
		}
		b.WriteString("}}")
		return []byte(b.String())
	}
	typ := reflect.TypeOf(apiv1.CreateCaseRequest{})
	best := func(data []byte) time.Duration {
		d := time.Duration(math.MaxInt64)
		for range 5 {
			began := time.Now()
			require.Nil(t, strictKeys(data, typ))
			d = min(d, time.Since(began))
		}
		return d
	}
	small, large := body(2_000), body(16_000)
	ratio := float64(best(large)) / float64(max(best(small), time.Microsecond))
	require.Less(t, ratio, 32.0, "8× the keys took %.1f× the time", ratio)
}
