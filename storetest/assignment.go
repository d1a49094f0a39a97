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
	require.Equal(t, store.Person{ActorID: "s1", Role: store.RoleStaff, Departments: []string{"service"},
		Availability: store.Available, Capacity: store.DefaultCapacity}, p)
	_, err = s.GetPerson(ctx, "nobody")
	require.ErrorIs(t, err, store.ErrNotFound)

	p, _, err = s.SetPerson(ctx, store.SetPersonParams{ActorID: "s2", Capacity: ptr(1), Skills: &[]string{"en", "router"}, At: at(time.Minute)})
	require.NoError(t, err)
	require.Equal(t, []any{store.Available, 1, []string{"en", "router"}}, []any{p.Availability, p.Capacity, p.Skills})
	require.True(t, p.AvailabilityAt.Equal(at(time.Minute)))
	_, _, err = s.SetPerson(ctx, store.SetPersonParams{ActorID: "s3", Availability: ptr(store.Away), At: at(time.Minute)})
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
		tk, ok, err := s.AssignTask(ctx, store.AssignTaskParams{TaskID: id, Spec: store.AssignSpec{Rules: []string{rule}, Skills: skills, Prefer: prefer}, At: at(time.Hour)})
		require.NoError(t, err)
		if ok {
			require.NotNil(t, tk.AssignedAt)
			require.True(t, tk.AssignedAt.Equal(at(time.Hour)))
			require.Nil(t, tk.ClaimedAt, "assigned, not started")
			require.Equal(t, rule, tk.AssignRule)
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
	_, _, err = s.SetPerson(ctx, store.SetPersonParams{ActorID: "s2", Capacity: ptr(10), At: at(2 * time.Minute)})
	require.NoError(t, err)
	_, _, err = s.SetPerson(ctx, store.SetPersonParams{ActorID: "s3", Availability: ptr(store.Available), At: at(2 * time.Minute)})
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
	_, _, err = s.AssignTask(ctx, store.AssignTaskParams{TaskID: "t9", Spec: store.AssignSpec{Rules: []string{store.AssignLeastLoaded}}, At: at(3 * time.Hour)})
	require.ErrorIs(t, err, store.ErrConflict)
	_, _, err = s.AssignTask(ctx, store.AssignTaskParams{TaskID: "nope", Spec: store.AssignSpec{Rules: []string{store.AssignLeastLoaded}}, At: at(3 * time.Hour)})
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
			_, _, err = s.SetPerson(ctx, store.SetPersonParams{ActorID: id, Capacity: &capacity, At: t0})
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
				_, _, err := s.AssignTask(ctx, store.AssignTaskParams{TaskID: id, Spec: store.AssignSpec{Rules: []string{rule}}, At: at(time.Hour)})
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

// testAssignmentAtOpening: OpenTask with a spec assigns the task it
// inserts in the same transaction, as AssignTask would (the rule, the time
// of the opening, the offer, one notification, the spec kept for
// AssignWaiting); a repeated opening changes nothing, whether the first
// assigned the task or left it in the pool (change assign-at-open).
func testAssignmentAtOpening(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, id := range []string{"p1", "p2"} {
		_, err := s.CreateActor(ctx, store.CreateActorParams{ID: id, Role: store.RoleStaff, Departments: []string{"service"}, At: t0})
		require.NoError(t, err)
		_, _, err = s.SetPerson(ctx, store.SetPersonParams{ActorID: id, Capacity: ptr(1), At: t0})
		require.NoError(t, err)
	}
	createCase(t, s, "c1")
	spec := store.AssignSpec{Rules: []string{store.AssignLeastLoaded}, AcceptWithin: 10 * time.Minute}
	opening := func(id string, seq int) store.OpenTaskParams {
		p := taskParams(id, "c1", seq)
		p.Assign = &spec
		return p
	}
	assigned := func(actor string) []string {
		t.Helper()
		ns, err := s.ListNotifications(ctx, store.ListNotificationsParams{ActorID: actor})
		require.NoError(t, err)
		var out []string
		for _, n := range ns {
			require.Equal(t, store.NotifyAssigned, n.Kind)
			out = append(out, n.TaskID)
		}
		return out
	}

	// Assigned at once: least loaded (both idle: by id), at the opening,
	// with the offer's due time and one notification.
	t1 := openTask(t, s, opening("t1", 1))
	require.Equal(t, []any{"p1", store.AssignLeastLoaded, store.TaskOpen}, []any{t1.Assignee, t1.AssignRule, t1.Status})
	require.NotNil(t, t1.AssignedAt)
	require.True(t, t1.AssignedAt.Equal(at(time.Minute)), "assigned at the opening")
	require.Nil(t, t1.ClaimedAt, "assigned, not started")
	require.NotNil(t, t1.OfferDue)
	require.True(t, t1.OfferDue.Equal(at(11*time.Minute)))
	got, err := s.GetTask(ctx, "t1")
	require.NoError(t, err)
	require.Equal(t, t1, got)
	require.Equal(t, []string{"t1"}, assigned("p1"))
	t2 := openTask(t, s, opening("t2", 2))
	require.Equal(t, "p2", t2.Assignee, "p1 is at its capacity of 1")

	// Nobody has room: the task opens in the pool, its spec kept.
	t3 := openTask(t, s, opening("t3", 3))
	require.Equal(t, []any{"", "", (*time.Time)(nil)}, []any{t3.Assignee, t3.AssignRule, t3.AssignedAt})
	deps, err := s.WaitingDepartments(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"service"}, deps, "the spec is kept with the task")

	// Repeated openings (a retried activity, another id and spec) return
	// the tasks as they are: not assigned again, not to someone else, no
	// second notification, no error; t3 stays in the pool even once
	// someone has room (AssignWaiting gives it out, by its kept spec).
	again := opening("t1-retry", 1)
	again.Assign = &store.AssignSpec{Rules: []string{store.AssignRoundRobin}}
	require.Equal(t, t1, openTask(t, s, again))
	require.Equal(t, t2, openTask(t, s, opening("t2", 2)))
	_, err = s.CompleteTask(ctx, store.CompleteTaskParams{ID: "t2", Outcome: "resolved", Actor: "p2", CompletionID: "c-t2", At: at(time.Hour),
		Span: store.Span{Kind: "task"}})
	require.NoError(t, err)
	require.Equal(t, t3, openTask(t, s, opening("t3", 3)))
	_, err = s.OpenTask(ctx, opening("t2", 2))
	require.NoError(t, err, "a repeat of a closed task's opening is no error")
	require.Equal(t, []string{"t1"}, assigned("p1"))
	require.Equal(t, []string{"t2"}, assigned("p2"))
	p, err := s.GetPerson(ctx, "p1")
	require.NoError(t, err)
	require.Equal(t, 1, p.Load)
	waiting, err := s.AssignWaiting(ctx, store.AssignWaitingParams{Department: "service", At: at(time.Hour)})
	require.NoError(t, err)
	require.Len(t, waiting, 1)
	require.Equal(t, []string{"t3", "p2", store.AssignLeastLoaded}, []string{waiting[0].ID, waiting[0].Assignee, waiting[0].AssignRule})
	require.NotNil(t, waiting[0].OfferDue, "the kept spec's accept_within")

	// An opening without a spec assigns nothing; an unknown case is not
	// found, with a spec too.
	_, _, err = s.SetPerson(ctx, store.SetPersonParams{ActorID: "p1", Capacity: ptr(5), At: at(time.Hour)})
	require.NoError(t, err)
	require.Empty(t, openTask(t, s, taskParams("t4", "c1", 4)).Assignee)
	bad := opening("t9", 1)
	bad.CaseID = "no-such-case"
	_, err = s.OpenTask(ctx, bad)
	require.ErrorIs(t, err, store.ErrNotFound)
}

// testAssignmentAtOpeningUnderConcurrency: 50 tasks opened at once with a
// spec, each opening sent twice (a retried activity), among 5 people of
// capacity 3: each gets exactly 3, every task is assigned at most once,
// with one notification; openings without a spec sent twice at once open
// one task each.
func testAssignmentAtOpeningUnderConcurrency(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i := range 5 {
		id := fmt.Sprintf("busy-%d", i)
		_, err := s.CreateActor(ctx, store.CreateActorParams{ID: id, Role: store.RoleStaff, Departments: []string{"busy"}, At: t0})
		require.NoError(t, err)
		_, _, err = s.SetPerson(ctx, store.SetPersonParams{ActorID: id, Capacity: ptr(3), At: t0})
		require.NoError(t, err)
	}
	createCase(t, s, "c1")
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		ids  []string
		got  = map[string]string{} // task → the assignee an opening returned
	)
	for i := range 50 {
		p := taskParams(fmt.Sprintf("busy-t%d", i), "c1", i+1)
		p.Department = "busy"
		p.Assign = &store.AssignSpec{Rules: []string{store.AssignLeastLoaded}}
		ids = append(ids, p.ID)
		for range 2 {
			wg.Go(func() {
				tk, err := s.OpenTask(ctx, p)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				if prev, seen := got[tk.ID]; seen && prev != tk.Assignee {
					errs = append(errs, fmt.Errorf("task %s: openings returned %q and %q", tk.ID, prev, tk.Assignee))
				}
				got[tk.ID] = tk.Assignee
			})
		}
	}
	// Openings without a spec, also sent twice at once.
	for i := range 20 {
		p := taskParams(fmt.Sprintf("pull-t%d", i), "c1", 100+i)
		p.Department = "pull"
		for range 2 {
			wg.Go(func() {
				if tk, err := s.OpenTask(ctx, p); err != nil || tk.ID != p.ID || tk.Assignee != "" {
					mu.Lock()
					errs = append(errs, fmt.Errorf("pull opening %s: %+v, %w", p.ID, tk, err))
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	require.Empty(t, errs)
	per := map[string]int{}
	for _, id := range ids {
		tk, err := s.GetTask(ctx, id)
		require.NoError(t, err)
		require.Equal(t, got[id], tk.Assignee, "%s: what the openings returned is what is stored", id)
		if tk.Assignee != "" {
			per[tk.Assignee]++
		}
	}
	require.Len(t, per, 5)
	notified := map[string]int{}
	for who, n := range per {
		require.Equal(t, 3, n, "%s: capacity 3 holds under 50 openings at once", who)
		ns, err := s.ListNotifications(ctx, store.ListNotificationsParams{ActorID: who})
		require.NoError(t, err)
		for _, n := range ns {
			notified[n.TaskID]++
		}
	}
	require.Len(t, notified, 15)
	for task, n := range notified {
		require.Equal(t, 1, n, "%s: one notification", task)
	}
	deps, err := s.WaitingDepartments(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"busy"}, deps, "the 35 others wait in the pool with their spec")
}

// testAssignmentLifecycle: waiting tasks assigned in SLA order when
// someone frees up; offers not started in time go back and to someone
// else; a person going away gives back what they have not started; a team
// lead's reassignment and an escalation to the team lead notify the new
// holder; the measures (decision 0036).
func testAssignmentLifecycle(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, a := range []store.CreateActorParams{
		{ID: "a1", Role: store.RoleStaff, Departments: []string{"service"}},
		{ID: "a2", Role: store.RoleStaff, Departments: []string{"service"}},
		{ID: "lead", Role: store.RoleStaff, Departments: []string{"service", "tech"}, Leads: []string{"service"}},
	} {
		a.At = t0
		_, err := s.CreateActor(ctx, a)
		require.NoError(t, err)
	}
	// The lead takes no rule's work here: away.
	_, _, err := s.SetPerson(ctx, store.SetPersonParams{ActorID: "lead", Availability: ptr(store.Away), At: t0})
	require.NoError(t, err)
	for _, id := range []string{"a1", "a2"} {
		_, _, err := s.SetPerson(ctx, store.SetPersonParams{ActorID: id, Capacity: ptr(1), At: t0})
		require.NoError(t, err)
	}
	createCase(t, s, "c1")
	spec := store.AssignSpec{Rules: []string{store.AssignLeastLoaded}, AcceptWithin: 10 * time.Minute}
	// Four tasks opened, the last with the earliest SLA: two people of
	// capacity 1 take the first two, the others wait.
	for seq := 1; seq <= 4; seq++ {
		p := taskParams(fmt.Sprintf("w%d", seq), "c1", seq)
		if seq == 4 {
			p.SLADue = ptr(at(time.Minute))
		}
		openTask(t, s, p)
		_, _, err := s.AssignTask(ctx, store.AssignTaskParams{TaskID: p.ID, Spec: spec, At: at(time.Hour)})
		require.NoError(t, err)
	}
	holder := func(id string) store.Task {
		t.Helper()
		tk, err := s.GetTask(ctx, id)
		require.NoError(t, err)
		return tk
	}
	require.Equal(t, "a1", holder("w1").Assignee)
	require.Equal(t, "a2", holder("w2").Assignee)
	require.Empty(t, holder("w3").Assignee)
	require.NotNil(t, holder("w1").OfferDue)
	require.True(t, holder("w1").OfferDue.Equal(at(time.Hour+10*time.Minute)))
	people, err := s.ListPeople(ctx, store.ListPeopleParams{Department: "service"})
	require.NoError(t, err)
	require.Len(t, people, 3)
	require.Equal(t, []any{"a1", 1, 1}, []any{people[0].ActorID, people[0].Capacity, people[0].Load})
	require.Equal(t, []any{"lead", []string{"service"}, store.Away}, []any{people[2].ActorID, people[2].Leads, people[2].Availability})
	page, err := s.ListPeople(ctx, store.ListPeopleParams{After: "a1", Limit: 1})
	require.NoError(t, err)
	require.Equal(t, "a2", page[0].ActorID)
	require.Len(t, page, 1)
	deps, err := s.WaitingDepartments(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"service"}, deps)
	none, err := s.AssignWaiting(ctx, store.AssignWaitingParams{Department: "service", At: at(time.Hour)})
	require.NoError(t, err)
	require.Empty(t, none, "nobody has room")

	// a1 starts and completes w1: the waiting task with the earliest SLA
	// (w4) goes to a1.
	_, err = s.ClaimTask(ctx, store.ClaimTaskParams{ID: "w1", Actor: "a1", At: at(61 * time.Minute)})
	require.NoError(t, err)
	require.Nil(t, holder("w1").OfferDue, "started: the offer is accepted")
	_, err = s.CompleteTask(ctx, store.CompleteTaskParams{ID: "w1", Outcome: "resolved", Actor: "a1", CompletionID: "c-w1",
		At: at(70 * time.Minute), Span: store.Span{Kind: "task"}})
	require.NoError(t, err)
	// Its span keeps the assignment: the report splits its waiting there.
	spans, err := s.ListSpans(ctx, store.SpanFilter{CaseID: "c1"})
	require.NoError(t, err)
	require.Len(t, spans, 1)
	require.NotNil(t, spans[0].AssignedAt)
	require.True(t, spans[0].AssignedAt.Equal(at(time.Hour)))
	stats, err := s.SpanStats(ctx, store.SpanStatsFilter{Flow: "complaint", Version: 1})
	require.NoError(t, err)
	r := stats.Steps["step1"]
	require.NotNil(t, r)
	require.Equal(t, int64(1), r.Assigned)
	require.InDelta(t, 59*60, r.WaitAssignTotal, 1e-6, "opened at 1 min, assigned at 60")
	require.InDelta(t, 60, r.WaitStartTotal, 1e-6, "started a minute later")
	got, err := s.AssignWaiting(ctx, store.AssignWaitingParams{Department: "service", At: at(70 * time.Minute)})
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, []string{"w4", "a1"}, []string{got[0].ID, got[0].Assignee}, "SLA order")

	// a2 never starts w2: at its offer's due time it goes back, and a2 is
	// passed over for it.
	released, err := s.ExpireOffers(ctx, at(time.Hour+9*time.Minute), 0)
	require.NoError(t, err)
	require.Empty(t, released, "not due yet")
	released, err = s.ExpireOffers(ctx, at(time.Hour+10*time.Minute), 0)
	require.NoError(t, err)
	require.Len(t, released, 1)
	require.Equal(t, "w2", released[0].ID)
	require.Empty(t, released[0].Assignee)
	require.Equal(t, []string{"a2"}, released[0].PassedOver)
	// a2 has room again, but not for w2: it takes w3; w2 waits for a1.
	got, err = s.AssignWaiting(ctx, store.AssignWaitingParams{Department: "service", At: at(75 * time.Minute)})
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, []string{"w3", "a2"}, []string{got[0].ID, got[0].Assignee})

	// a2 goes away: w3, not started, goes back to the pool.
	p, back, err := s.SetPerson(ctx, store.SetPersonParams{ActorID: "a2", Availability: ptr(store.Away), At: at(80 * time.Minute)})
	require.NoError(t, err)
	require.Equal(t, store.Away, p.Availability)
	require.Len(t, back, 1)
	require.Equal(t, "w3", back[0].ID)
	require.Empty(t, holder("w3").Assignee)
	// a1 finishes w4 and takes w3 (SLA before w2's? w2 step2 is due
	// earlier than w3's): SLA order, and w2 passed a2 over, not a1.
	_, err = s.CompleteTask(ctx, store.CompleteTaskParams{ID: "w4", Outcome: "resolved", Actor: "a1", CompletionID: "c-w4",
		At: at(85 * time.Minute), Span: store.Span{Kind: "task"}})
	require.NoError(t, err)
	got, err = s.AssignWaiting(ctx, store.AssignWaitingParams{Department: "service", At: at(85 * time.Minute)})
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, []string{"w2", "a1"}, []string{got[0].ID, got[0].Assignee})

	// A lead moves w2 to a2 (away, but a lead may): one reassignment, a
	// notification for a2 naming who had it and who moved it.
	tk, err := s.ReassignTask(ctx, store.ReassignTaskParams{ID: "w2", To: "a2", By: "lead", At: at(90 * time.Minute)})
	require.NoError(t, err)
	require.Equal(t, []any{"a2", store.AssignManual, 1}, []any{tk.Assignee, tk.AssignRule, tk.Reassignments})
	ns, err := s.ListNotifications(ctx, store.ListNotificationsParams{ActorID: "a2"})
	require.NoError(t, err)
	require.NotEmpty(t, ns)
	require.Equal(t, store.NotifyReassigned, ns[0].Kind)
	require.Equal(t, "w2", ns[0].TaskID)
	require.Equal(t, "a1", ns[0].Details.From)
	require.Equal(t, "lead", ns[0].Details.By)
	require.Equal(t, "Step 2", ns[0].Details.StepName)

	// An escalation to the team lead: the lead is away, so the task waits
	// in the pool; once back, the next level gives it to them.
	tk, err = s.EscalateTask(ctx, store.EscalateTaskParams{ID: "w3", Level: 1, Assign: store.AssignTeamLead, At: at(95 * time.Minute)})
	require.NoError(t, err)
	require.Empty(t, tk.Assignee)
	_, _, err = s.SetPerson(ctx, store.SetPersonParams{ActorID: "lead", Availability: ptr(store.Available), At: at(96 * time.Minute)})
	require.NoError(t, err)
	tk, err = s.EscalateTask(ctx, store.EscalateTaskParams{ID: "w3", Level: 2, Assign: store.AssignTeamLead, At: at(97 * time.Minute)})
	require.NoError(t, err)
	require.Equal(t, []any{"lead", store.AssignTeamLead, 2}, []any{tk.Assignee, tk.AssignRule, tk.EscalationLevel})
	again, err := s.EscalateTask(ctx, store.EscalateTaskParams{ID: "w3", Level: 2, Assign: store.AssignPull, At: at(98 * time.Minute)})
	require.NoError(t, err)
	require.Equal(t, "lead", again.Assignee, "a level reached already changes nothing")
	ns, err = s.ListNotifications(ctx, store.ListNotificationsParams{ActorID: "lead"})
	require.NoError(t, err)
	require.Len(t, ns, 1)
	require.Equal(t, 2, ns[0].Details.Level)
	// To the pool of another department: the spec goes, it waits to be pulled.
	tk, err = s.EscalateTask(ctx, store.EscalateTaskParams{ID: "w3", Level: 3, Department: "tech", At: at(99 * time.Minute)})
	require.NoError(t, err)
	require.Equal(t, []any{"", "tech"}, []any{tk.Assignee, tk.Department})
	got, err = s.AssignWaiting(ctx, store.AssignWaitingParams{Department: "tech", At: at(100 * time.Minute)})
	require.NoError(t, err)
	require.Empty(t, got)

	// a2 gives w2 back: passed over, the assignment cleared.
	tk, err = s.UnclaimTask(ctx, store.UnclaimTaskParams{ID: "w2", Actor: "a2"})
	require.NoError(t, err)
	require.Equal(t, []any{"", "", (*time.Time)(nil)}, []any{tk.Assignee, tk.AssignRule, tk.AssignedAt})
	require.Contains(t, tk.PassedOver, "a2")

	// The measures of the department: w1 (opened at 1 min) waited 59 min
	// for its assignment, 1 min to start, and took 9 min; w4 (opened at 4
	// min) waited 66 min, and 15 min to start.
	ws, err := s.WorkStats(ctx, store.WorkStatsParams{Department: "service", From: t0, To: at(24 * time.Hour)})
	require.NoError(t, err)
	_, err = s.WorkStats(ctx, store.WorkStatsParams{Department: "service", From: t0, To: at(24 * time.Hour), MaxTasks: 2})
	require.ErrorIs(t, err, store.ErrLimit, "3 tasks, at most 2 read")
	bounded, err := s.WorkStats(ctx, store.WorkStatsParams{Department: "service", From: t0, To: at(24 * time.Hour), MaxTasks: 3})
	require.NoError(t, err)
	require.Equal(t, ws, bounded)
	byActor := map[string]store.WorkStat{}
	for _, w := range ws {
		byActor[w.ActorID] = w
	}
	all, a1 := byActor[""], byActor["a1"]
	require.Equal(t, []int{3, 2, 1, 1}, []int{all.Opened, all.Completed, all.Open, all.Reassignments}, "w3 moved to tech")
	require.Equal(t, []int{2, 2, 0}, []int{a1.Opened, a1.Completed, a1.Open})
	require.ElementsMatch(t, []float64{59 * 60, 66 * 60}, a1.WaitAssign)
	require.Equal(t, []float64{60, 15 * 60}, a1.WaitStart, "w4 started when completed")
	require.ElementsMatch(t, []float64{9 * 60, 0}, a1.Handle)
}

// testNotifications: an actor's notifications, newest first, read marks,
// and the delivery outbox.
func testNotifications(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, err := s.CreateActor(ctx, store.CreateActorParams{ID: "p1", Role: store.RoleStaff, Departments: []string{"service"}, At: t0})
	require.NoError(t, err)
	var ns []store.Notification
	for i := range 3 {
		ns = append(ns, store.Notification{ID: store.NotificationID(store.NotifyEscalated, "t1", "p1", int64(i)), ActorID: "p1",
			Kind: store.NotifyEscalated, TaskID: "t1", CaseID: "c1", CreatedAt: at(time.Duration(i) * time.Minute),
			Details: store.NotificationDetails{Step: "triage", Level: i, SLADue: ptr(at(time.Hour))}})
	}
	require.NoError(t, s.CreateNotifications(ctx, ns))
	require.NoError(t, s.CreateNotifications(ctx, ns[:1]), "the same id again inserts nothing")
	got, err := s.ListNotifications(ctx, store.ListNotificationsParams{ActorID: "p1"})
	require.NoError(t, err)
	require.Len(t, got, 3)
	require.Equal(t, ns[2].ID, got[0].ID, "newest first")
	require.True(t, got[0].Details.SLADue.Equal(at(time.Hour)))
	require.Equal(t, store.DeliveryPending, got[0].Delivery)
	page, err := s.ListNotifications(ctx, store.ListNotificationsParams{ActorID: "p1", Limit: 1,
		Before: &store.NotificationCursor{CreatedAt: got[0].CreatedAt, ID: got[0].ID}})
	require.NoError(t, err)
	require.Equal(t, ns[1].ID, page[0].ID)

	n, err := s.UnreadNotifications(ctx, "p1")
	require.NoError(t, err)
	require.Equal(t, 3, n)
	changed, err := s.ReadNotifications(ctx, "p1", []string{ns[0].ID}, at(time.Hour))
	require.NoError(t, err)
	require.Equal(t, 1, changed)
	changed, err = s.ReadNotifications(ctx, "someone-else", nil, at(time.Hour))
	require.NoError(t, err)
	require.Zero(t, changed)
	unread, err := s.ListNotifications(ctx, store.ListNotificationsParams{ActorID: "p1", Unread: true})
	require.NoError(t, err)
	require.Len(t, unread, 2)
	changed, err = s.ReadNotifications(ctx, "p1", nil, at(time.Hour))
	require.NoError(t, err)
	require.Equal(t, 2, changed)

	// The outbox: due oldest first, each claimed for the lease (another
	// dispatcher does not get it meanwhile); a failed attempt is retried
	// later, a done one leaves the outbox.
	const lease = 10 * time.Minute
	due, err := s.DueNotifications(ctx, at(time.Hour), lease, 10)
	require.NoError(t, err)
	require.Len(t, due, 3)
	require.Equal(t, ns[0].ID, due[0].ID)
	again, err := s.DueNotifications(ctx, at(time.Hour), lease, 10)
	require.NoError(t, err)
	require.Empty(t, again, "claimed by the first dispatcher")
	require.NoError(t, s.SetNotificationDelivery(ctx, store.NotificationDelivery{ID: ns[0].ID, Delivery: store.DeliveryDone,
		Sent: []string{store.ChannelEmail}}))
	require.NoError(t, s.SetNotificationDelivery(ctx, store.NotificationDelivery{ID: ns[1].ID, Delivery: store.DeliveryPending,
		Sent: []string{store.ChannelEmail}, NextAttemptAt: ptr(at(2 * time.Hour)), Error: "webhook: 503"}))
	due, err = s.DueNotifications(ctx, at(time.Hour+lease), lease, 10)
	require.NoError(t, err)
	require.Len(t, due, 1, "the third's lease ran out (its dispatcher died): due again")
	require.Equal(t, ns[2].ID, due[0].ID)
	due, err = s.DueNotifications(ctx, at(2*time.Hour), lease, 10)
	require.NoError(t, err)
	require.Len(t, due, 2)
	require.Equal(t, ns[1].ID, due[0].ID)
	require.Equal(t, []any{1, []string{store.ChannelEmail}, "webhook: 503"}, []any{due[0].Attempts, due[0].Sent, due[0].LastError})
	require.ErrorIs(t, s.SetNotificationDelivery(ctx, store.NotificationDelivery{ID: "nope", Delivery: store.DeliveryDone}), store.ErrNotFound)
}

// testPersonWithTwoTokens: a person's tokens all name them; a change of
// departments keeps their id (and so their history) and gives back what
// they held where they no longer work (decision 0039).
func testPersonWithTwoTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, err := s.CreateActor(ctx, store.CreateActorParams{ID: "p1", Name: "Pat", Role: store.RoleStaff, Departments: []string{"service"}, At: t0})
	require.NoError(t, err)
	for i, h := range [][]byte{[]byte("hash-1"), []byte("hash-2")} {
		_, err := s.CreateToken(ctx, store.CreateTokenParams{ID: fmt.Sprintf("tok-%d", i), ActorID: "p1", Hash: h, At: t0})
		require.NoError(t, err)
	}
	createCase(t, s, "c1")
	openTask(t, s, taskParams("t1", "c1", 1))
	_, err = s.ClaimTask(ctx, store.ClaimTaskParams{ID: "t1", Actor: "p1", At: at(time.Minute)})
	require.NoError(t, err)

	a, released, err := s.UpdateActor(ctx, store.UpdateActorParams{ID: "p1", Departments: &[]string{"tech"}, Leads: &[]string{"tech"}})
	require.NoError(t, err)
	require.Equal(t, []any{"p1", "Pat", []string{"tech"}, []string{"tech"}}, []any{a.ID, a.Name, a.Departments, a.Leads})
	require.Len(t, released, 1, "t1 is in service, where Pat no longer works")
	require.Equal(t, "t1", released[0].ID)
	require.Empty(t, released[0].Assignee)
	for _, h := range [][]byte{[]byte("hash-1"), []byte("hash-2")} {
		got, err := s.ActorByTokenHash(ctx, h, at(time.Hour))
		require.NoError(t, err)
		require.Equal(t, []any{"p1", []string{"tech"}}, []any{got.ID, got.Departments}, "both tokens are the same person, changed")
	}
	a, released, err = s.UpdateActor(ctx, store.UpdateActorParams{ID: "p1", Name: ptr("Pat Lee")})
	require.NoError(t, err)
	require.Equal(t, []any{"Pat Lee", []string{"tech"}}, []any{a.Name, a.Departments})
	require.Empty(t, released)
	_, _, err = s.UpdateActor(ctx, store.UpdateActorParams{ID: "nobody", Name: ptr("x")})
	require.ErrorIs(t, err, store.ErrNotFound)
}
