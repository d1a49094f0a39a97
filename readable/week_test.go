package readable

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestISOWeek(t *testing.T) {
	require.Equal(t, "2026-W53", ISOWeek(time.Date(2026, 12, 28, 0, 0, 0, 0, time.UTC)))
	require.Equal(t, "2026-W53", ISOWeek(time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC)), "1 Jan 2027 is in 2026's last week")
	require.Equal(t, "2027-W01", ISOWeek(time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)))
	require.Equal(t, "2026-W10", ISOWeek(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)))
}
