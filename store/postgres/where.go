package postgres

import (
	"strconv"
	"strings"
	"time"
)

// where builds the WHERE clause of a dynamic query: each condition is
// written with ? placeholders, numbered $n as its arguments are appended.
type where struct {
	conds []string
	args  []any
}

// add appends cond, whose ? placeholders take args in order.
func (w *where) add(cond string, args ...any) {
	var b strings.Builder
	for _, arg := range args {
		before, after, ok := strings.Cut(cond, "?")
		if !ok {
			panic("postgres: where: more arguments than placeholders in " + cond)
		}
		w.args = append(w.args, arg)
		b.WriteString(before)
		b.WriteString("$" + strconv.Itoa(len(w.args)))
		cond = after
	}
	if strings.Contains(cond, "?") {
		panic("postgres: where: fewer arguments than placeholders")
	}
	b.WriteString(cond)
	w.conds = append(w.conds, b.String())
}

// arg appends a bare argument (for LIMIT) and returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

// String is " WHERE c1 AND c2 ...", or "" without conditions.
func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// bound converts a From or To bound to timestamptz's microseconds, rounding
// up: pgx truncates, which would move a bound with a fraction of a
// microsecond before rows it excludes ("opened_at >= From") or exclude rows
// before it ("opened_at < To").
func bound(t time.Time) time.Time {
	u := t.UTC()
	if r := u.Truncate(time.Microsecond); r.Before(u) {
		return r.Add(time.Microsecond)
	}
	return u
}
