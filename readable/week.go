package readable

import (
	"fmt"
	"time"
)

// ISOWeek names the ISO 8601 week of t, e.g. 2026-W10 (the week-numbering
// year, which differs from t's year in the days around New Year).
func ISOWeek(t time.Time) string {
	y, w := t.ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}
