package readable

import (
	"math"
	"testing"
)

// TestDuration pins the display definition of decision 0024: every band,
// its precision, and the carry from one band into the next. Sub-second
// and second-scale durations must not read "0 s" (issue 15, item 19).
func TestDuration(t *testing.T) {
	for _, c := range []struct {
		sec  float64
		want string
	}{
		{0, "0 s"},
		{0.00004, "< 0.1 ms"},
		{0.0042, "4.2 ms"},
		{0.00996, "10 ms"}, // carries into the next band
		{0.35, "350 ms"},
		{0.0124, "12 ms"},
		{0.9996, "1.0 s"},
		{1, "1.0 s"},
		{3.5654345144999997, "3.6 s"},
		{9.96, "10 s"},
		{45.2, "45 s"},
		{59.7, "1 min 00 s"},
		{65, "1 min 05 s"},
		{599.6, "10 min"},
		{720, "12 min"},
		{3570, "1 h 00 min"},
		{3900, "1 h 05 min"},
		{86399, "1 d 00 h"},
		{2*86400 + 3*3600, "2 d 03 h"},
		{-2400, "−40 min"},
		{-0.25, "−250 ms"},
		{math.NaN(), "–"},
		{math.Inf(1), "–"},
	} {
		if got := Duration(c.sec); got != c.want {
			t.Errorf("Duration(%v) = %q, want %q", c.sec, got, c.want)
		}
	}
}

func TestNumber(t *testing.T) {
	for x, want := range map[float64]string{
		3.5654345144999997: "3.57", 4: "4", 0.5: "0.5", -0.001: "-0.001", 1234.5: "1234.5", 10: "10",
		0.0041666: "0.00417", 0.123456: "0.123", 1e-9: "0", 86400: "86400", 1.999: "2", -2.5: "-2.5",
	} {
		if got := Number(x); got != want {
			t.Errorf("Number(%v) = %q, want %q", x, got, want)
		}
	}
	if Number(math.NaN()) != Dash {
		t.Error("NaN is a dash")
	}
}

func TestName(t *testing.T) {
	for id, want := range map[string]string{
		"customer_service": "Customer service",
		"needs_technical":  "Needs technical",
		"crisis-team":      "Crisis team",
		"improvement":      "Improvement",
		"VIP_desk":         "VIP desk",
		"recorded":         "Recorded",
		"":                 "",
		"__":               "__",
	} {
		if got := Name(id); got != want {
			t.Errorf("Name(%q) = %q, want %q", id, got, want)
		}
	}
}
