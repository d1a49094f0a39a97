package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/store"
)

// testAssignment: people's availability, capacity and skills, and each
// assignment rule (decision 0035).
func testAssignment(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, a := range []store.CreateActorParams{
		{ID: "s1", Role: store.RoleStaff, Departments: []string{"service"}},
		{ID: "s2", Role: store.RoleStaff, Departments: []string{"service", "tech"}},
		{ID: "s3", Role: store.RoleStaff, Departments: []string{"service"}},
		{ID: "o1", Role: store.RoleOwner, Departments: []string{"service"}}, // owners are not assigned work
		{ID: "x1", Role: store.RoleStaff, Departments: []string{"other"}},
	} {
		a.At = t0
		_, err := s.CreateActor(ctx, a)
		require.NoError(t, err)
	}
	p, err := s.GetPerson(ctx, "s1")
	require.NoError(t, err)
	require.Equal(t, store.Person{ActorID: "s1", Availability: store.Available, Capacity: store.DefaultCapacity}, p)
	_, err = s.GetPerson(ctx, "nobody")
	require.ErrorIs(t, err, store.ErrNotFound)

	p, err = s.SetPerson(ctx, store.SetPersonParams{ActorID: "s2", Capacity: ptr(1), Skills: &[]string{"en", "router"}, At: at(time.Minute)})
	require.NoError(t, err)
	require.Equal(t, []any{store.Available, 1, []string{"en", "router"}}, []any{p.Availability, p.Capacity, p.Skills})
	require.True(t, p.AvailabilityAt.Equal(at(time.Minute)))
	_, err = s.SetPerson(ctx, store.SetPersonParams{ActorID: "s3", Availability: ptr(store.Away), At: at(time.Minute)})
	require.NoError(t, err)
	p, err = s.GetPerson(ctx, "s3")
	require.NoError(t, err)
	require.Equal(t, store.Away, p.Availability)
	require.Equal(t, store.DefaultCapacity, p.Capacity, "what is not given keeps its value")

	createCase(t, s, "c1")
	task := func(seq int) string {
		id := fmt.Sprintf("t%d", seq)
		openTask(t, s, taskParams(id, "c1", seq))
		return id
	}
	assign := func(id, rule string, skills, prefer []string) (string, bool) {
		t.Helper()
		tk, ok, err := s.AssignTask(ctx, store.AssignTaskParams{TaskID: id, Rule: rule, Skills: skills, Prefer: prefer, At: at(time.Hour)})
		require.NoError(t, err)
		if ok {
			require.NotNil(t, tk.AssignedAt)
			require.True(t, tk.AssignedAt.Equal(at(time.Hour)))
			require.Nil(t, tk.ClaimedAt, "assigned, not started")
		}
		return tk.Assignee, ok
	}
	// Least loaded: s1 and s2 idle (never assigned: by id), then s2 with
	// one less; s3 is away, o1 is an owner, x1 of another department.
	who, ok := assign(task(1), store.AssignLeastLoaded, nil, nil)
	require.Equal(t, []any{"s1", true}, []any{who, ok})
	who, _ = assign(task(2), store.AssignLeastLoaded, nil, nil)
	require.Equal(t, "s2", who)
	who, _ = assign(task(3), store.AssignLeastLoaded, nil, nil)
	require.Equal(t, "s1", who, "s2 is at its capacity of 1")
	// Skills: only s2 knows routers, and it is full: the task stays in the pool.
	who, ok = assign(task(4), store.AssignSkills, []string{"router"}, nil)
	require.Equal(t, []any{"", false}, []any{who, ok})
	// Sticky: the first preferred who is eligible, no one else.
	who, _ = assign("t4", store.AssignSticky, nil, []string{"s3", "s2", "s1"})
	require.Equal(t, "s1", who)
	who, ok = assign(task(5), store.AssignSticky, nil, []string{"s3"})
	require.Equal(t, []any{"", false}, []any{who, ok}, "the preferred person is away")
	// An assigned task stays with its assignee.
	who, ok = assign("t1", store.AssignLeastLoaded, nil, nil)
	require.Equal(t, []any{"s1", false}, []any{who, ok})
	p, err = s.GetPerson(ctx, "s1")
	require.NoError(t, err)
	require.Equal(t, 3, p.Load)
	require.NotNil(t, p.LastAssignedAt)

	// Round robin, by id after the department's last assignee.
	_, err = s.SetPerson(ctx, store.SetPersonParams{ActorID: "s2", Capacity: ptr(10), At: at(2 * time.Minute)})
	require.NoError(t, err)
	_, err = s.SetPerson(ctx, store.SetPersonParams{ActorID: "s3", Availability: ptr(store.Available), At: at(2 * time.Minute)})
	require.NoError(t, err)
	var got []string
	for seq := 6; seq <= 9; seq++ {
		who, _ := assign(task(seq), store.AssignRoundRobin, nil, nil)
		got = append(got, who)
	}
	require.Equal(t, []string{"s1", "s2", "s3", "s1"}, got)

	// A closed task is a conflict; an unknown one not found.
	_, err = s.CompleteTask(ctx, store.CompleteTaskParams{ID: "t9", Outcome: "resolved", Actor: "s1", CompletionID: "u9", At: at(2 * time.Hour),
		Span: store.Span{Kind: "task"}})
	require.NoError(t, err)
	_, _, err = s.AssignTask(ctx, store.AssignTaskParams{TaskID: "t9", Rule: store.AssignLeastLoaded, At: at(3 * time.Hour)})
	require.ErrorIs(t, err, store.ErrConflict)
	_, _, err = s.AssignTask(ctx, store.AssignTaskParams{TaskID: "nope", Rule: store.AssignLeastLoaded, At: at(3 * time.Hour)})
	require.ErrorIs(t, err, store.ErrNotFound)
}

// testAssignmentUnderConcurrency: 50 tasks assigned at once among 5 people
// of capacity 3 give each exactly 3 and no one more, every task at most
// once; round robin among people with room gives each 10 ± 1.
func testAssignmentUnderConcurrency(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, dept := range []string{"busy", "rr"} {
		for i := range 5 {
			id := fmt.Sprintf("%s-%d", dept, i)
			_, err := s.CreateActor(ctx, store.CreateActorParams{ID: id, Role: store.RoleStaff, Departments: []string{dept}, At: t0})
			require.NoError(t, err)
			capacity := 3
			if dept == "rr" {
				capacity = 100
			}
			_, err = s.SetPerson(ctx, store.SetPersonParams{ActorID: id, Capacity: &capacity, At: t0})
			require.NoError(t, err)
		}
	}
	createCase(t, s, "c1")
	run := func(dept, rule string, first int) map[string]int {
		var ids []string
		for i := range 50 {
			p := taskParams(fmt.Sprintf("%s-t%d", dept, i), "c1", first+i)
			p.Department = dept
			openTask(t, s, p)
			ids = append(ids, p.ID)
		}
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			errs []error
		)
		for _, id := range ids {
			wg.Go(func() {
				_, _, err := s.AssignTask(ctx, store.AssignTaskParams{TaskID: id, Rule: rule, At: at(time.Hour)})
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		require.Empty(t, errs)
		per := map[string]int{}
		for _, id := range ids {
			tk, err := s.GetTask(ctx, id)
			require.NoError(t, err)
			if tk.Assignee != "" {
				per[tk.Assignee]++
			}
		}
		return per
	}
	busy := run("busy", store.AssignLeastLoaded, 1)
	require.Len(t, busy, 5)
	for who, n := range busy {
		require.Equal(t, 3, n, "%s: capacity 3 holds under 50 assignments at once", who)
	}
	rr := run("rr", store.AssignRoundRobin, 100)
	require.Len(t, rr, 5)
	for who, n := range rr {
		require.InDelta(t, 10, n, 1, "%s: round robin", who)
	}
}
