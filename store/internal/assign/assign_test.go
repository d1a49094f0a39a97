package assign

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestChoose(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	people := []Candidate{
		{ActorID: "b", Availability: "available", Capacity: 3, Load: 1, LastAssignedAt: &t1},
		{ActorID: "a", Availability: "available", Capacity: 3, Load: 1, LastAssignedAt: &t0},
		{ActorID: "c", Availability: "away", Capacity: 3, Load: 0},
		{ActorID: "d", Availability: "available", Capacity: 2, Load: 2, Skills: []string{"fr"}},
		{ActorID: "e", Availability: "available", Capacity: 2, Load: 1, Skills: []string{"fr", "router"}, LastAssignedAt: &t1},
	}
	// Least loaded: a, b and e carry one task; a has waited longest.
	require.Equal(t, "a", Choose(LeastLoaded, people, "available", nil, nil, ""))
	// Skills: only e has both; d knows French but is full.
	require.Equal(t, "e", Choose(Skills, people, "available", []string{"fr", "router"}, nil, ""))
	require.Equal(t, "", Choose(Skills, people, "available", []string{"de"}, nil, ""))
	// Skills count only for the skills rule.
	require.Equal(t, "a", Choose(LeastLoaded, people, "available", []string{"de"}, nil, ""))
	// Round robin by id after the cursor, wrapping; the away and the full
	// are skipped.
	require.Equal(t, "b", Choose(RoundRobin, people, "available", nil, nil, "a"))
	require.Equal(t, "e", Choose(RoundRobin, people, "available", nil, nil, "b"))
	require.Equal(t, "a", Choose(RoundRobin, people, "available", nil, nil, "e"))
	require.Equal(t, "a", Choose(RoundRobin, people, "available", nil, nil, ""))
	// Sticky: the first preferred who is eligible, no one else.
	require.Equal(t, "b", Choose(Sticky, people, "available", nil, []string{"c", "d", "b", "a"}, ""))
	require.Equal(t, "", Choose(Sticky, people, "available", nil, []string{"c", "d"}, ""))
	require.Equal(t, "", Choose(LeastLoaded, nil, "available", nil, nil, ""))
}
