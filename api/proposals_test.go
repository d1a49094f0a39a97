package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

// pdcaCases lists every case of flow pdca in the store.
func (e *testEnv) pdcaCases() []store.Case {
	e.t.Helper()
	cs, err := e.st.ListCases(context.Background(), store.ListCasesParams{Flow: apiv1.PDCAFlow, Limit: 500})
	require.NoError(e.t, err)
	return cs
}

func TestCreateAndReadProposals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("agent", store.RoleStaff, "customer_service")

	p := e.Propose("agent", "Refunds up to 50 EUR at first line", false)
	require.Equal(t, store.ProposalOpen, p.Status)
	require.NotNil(t, p.Author)
	require.Equal(t, e.actors["agent"].ID, *p.Author)
	require.Equal(t, "because Refunds up to 50 EUR at first line", p.Body)
	require.Equal(t, 0, p.Votes)
	require.Equal(t, "", p.AdoptedCaseID)
	created := e.auditsOf("proposal:"+p.ID, "proposal.create")
	require.Len(t, created, 1)
	require.Equal(t, e.actors["agent"].ID, created[0].Actor)

	// Anonymous: no author in the proposal nor in its audit entry.
	anon := e.Propose("agent", "Shorter hold music", true)
	require.Nil(t, anon.Author)
	require.Contains(t, e.Do("agent", http.MethodGet, "/api/v1/proposals/"+anon.ID, nil, nil).Body.String(), `"author":null`)
	st, err := e.st.GetProposal(context.Background(), anon.ID)
	require.NoError(t, err)
	require.Equal(t, "", st.Author)
	entries := e.auditsOf("proposal:"+anon.ID, "proposal.create")
	require.Len(t, entries, 1)
	require.Equal(t, AnonymousActor, entries[0].Actor)
	require.Equal(t, map[string]any{"title": "Shorter hold music", "anonymous": true}, detailsOf(t, entries[0]))
	for _, a := range e.audits(store.AuditFilter{}) {
		if a.Object == "proposal:"+anon.ID {
			require.NotEqual(t, e.actors["agent"].ID, a.Actor, "the author must not be recorded")
		}
	}

	got := servertest.DecodeStrict[apiv1.Proposal](t, e.Do("agent", http.MethodGet, "/api/v1/proposals/"+p.ID, nil, nil), http.StatusOK)
	require.Equal(t, p, got)
	servertest.ProblemOf(t, e.Do("agent", http.MethodGet, "/api/v1/proposals/nope", nil, nil), http.StatusNotFound)

	// Title and body limits count characters, not bytes.
	e.Propose("agent", strings.Repeat("é", 200), false)
	for _, tc := range []struct {
		body   any
		status int
		fields []string
	}{
		{map[string]any{"title": "   "}, 422, []string{"title"}},
		{map[string]any{"body": "no title"}, 422, []string{"title"}},
		{map[string]any{"title": strings.Repeat("é", 201)}, 422, []string{"title"}},
		{map[string]any{"title": "t", "body": strings.Repeat("x", 5001)}, 422, []string{"body"}},
		{map[string]any{"title": "", "body": strings.Repeat("x", 5001)}, 422, []string{"title", "body"}},
		{`{"title": "t", "author": "someone else"}`, 400, []string{"body"}},
		{`{"title": "t", "anonymous": "yes"}`, 400, []string{"body.anonymous"}},
		{`{"title": "t"`, 400, []string{"body"}},
		{``, 400, []string{"body"}},
	} {
		p := servertest.ProblemOf(t, e.Do("agent", http.MethodPost, "/api/v1/proposals", tc.body, nil), tc.status)
		require.Equal(t, tc.fields, fieldsOf(p), "%v", tc.body)
	}
	servertest.ProblemOf(t, e.Do("", http.MethodPost, "/api/v1/proposals", map[string]any{"title": "t"}, nil), http.StatusUnauthorized)
	servertest.ProblemOf(t, e.Do("", http.MethodGet, "/api/v1/proposals", nil, nil), http.StatusUnauthorized)
	servertest.ProblemOf(t, e.Do("", http.MethodGet, "/api/v1/proposals/"+p.ID, nil, nil), http.StatusUnauthorized)
}

func TestListProposals(t *testing.T) {
	t.Parallel()
	clock := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	base := newEnv(t)
	e := newEnvWithStore(t, base.st, func(c *Config) {
		c.Now = func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			clock = clock.Add(time.Minute)
			return clock
		}
	})
	e.Actor("agent", store.RoleStaff, "customer_service")
	e.Actor("improver", store.RoleImprover)
	var all []apiv1.Proposal // newest first
	for i := range 7 {
		all = append([]apiv1.Proposal{e.Propose("agent", fmt.Sprintf("idea %d", i), i%2 == 0)}, all...)
	}
	res := e.Do("improver", http.MethodPost, "/api/v1/proposals/"+all[1].ID+"/decline", map[string]any{}, nil)
	all[1] = servertest.DecodeStrict[apiv1.Proposal](t, res, http.StatusOK)

	list := func(q string) apiv1.ProposalList {
		return servertest.DecodeStrict[apiv1.ProposalList](t, e.Do("agent", http.MethodGet, "/api/v1/proposals?"+q, nil, nil), http.StatusOK)
	}
	var got []apiv1.Proposal
	cursor := ""
	for page := 0; ; page++ {
		require.Less(t, page, 10)
		q := url.Values{"limit": {"3"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		l := list(q.Encode())
		got = append(got, l.Proposals...)
		if l.NextCursor == "" {
			require.Len(t, l.Proposals, 1)
			break
		}
		cursor = l.NextCursor
	}
	require.Equal(t, all, got)

	declined := list("status=declined")
	require.Equal(t, []apiv1.Proposal{all[1]}, declined.Proposals)
	require.Empty(t, declined.NextCursor)
	require.Len(t, list("status=open").Proposals, 6)
	// from/to bound created_at.
	window := list(url.Values{"from": {all[4].CreatedAt.Format(time.RFC3339)}, "to": {all[1].CreatedAt.Format(time.RFC3339)}}.Encode())
	require.Equal(t, all[2:5], window.Proposals)
	limited := list(url.Values{"from": {all[4].CreatedAt.Format(time.RFC3339)}, "limit": {"5"}}.Encode())
	require.Equal(t, all[:5], limited.Proposals)
	require.Empty(t, limited.NextCursor, "no page after the from bound")

	for _, q := range []string{"status=maybe", "limit=0", "limit=501", "cursor=%21%21%21", "cursor=bm9wZQ", "sort=votes", "from=yesterday"} {
		servertest.ProblemOf(t, e.Do("agent", http.MethodGet, "/api/v1/proposals?"+q, nil, nil), http.StatusBadRequest)
	}
}

func TestVoteProposal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("agent", store.RoleStaff, "customer_service")
	e.Actor("improver", store.RoleImprover)
	p := e.Propose("agent", "Callback instead of hold", false)
	path := "/api/v1/proposals/" + p.ID + "/vote"

	v := servertest.DecodeStrict[apiv1.Vote](t, e.Do("agent", http.MethodPost, path, nil, nil), http.StatusOK)
	require.Equal(t, apiv1.Vote{ProposalID: p.ID, Voted: true, Votes: 1}, v)
	v = servertest.DecodeStrict[apiv1.Vote](t, e.Do("agent", http.MethodPost, path, nil, nil), http.StatusOK)
	require.Equal(t, apiv1.Vote{ProposalID: p.ID, Voted: false, Votes: 1}, v, "one vote per actor")

	// Concurrent votes: 20 actors, each voting three times at once.
	const voters = 20
	for i := range voters {
		e.Actor(fmt.Sprintf("voter-%d", i), store.RoleStaff, "technical")
	}
	var counted atomic.Int32
	var wg sync.WaitGroup
	for i := range voters {
		for range 3 {
			wg.Go(func() {
				_, rec := e.Send(fmt.Sprintf("voter-%d", i), http.MethodPost, path, nil, nil)
				if rec.Code != http.StatusOK {
					t.Errorf("vote: %d %s", rec.Code, rec.Body.String())
					return
				}
				var v apiv1.Vote
				if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
					t.Error(err)
				}
				if v.Voted {
					counted.Add(1)
				}
			})
		}
	}
	wg.Wait()
	require.EqualValues(t, voters, counted.Load(), "exactly one counted vote per actor")
	got := servertest.DecodeStrict[apiv1.Proposal](t, e.Do("agent", http.MethodGet, "/api/v1/proposals/"+p.ID, nil, nil), http.StatusOK)
	require.Equal(t, voters+1, got.Votes)

	servertest.ProblemOf(t, e.Do("agent", http.MethodPost, "/api/v1/proposals/nope/vote", nil, nil), http.StatusNotFound)
	servertest.ProblemOf(t, e.Do("", http.MethodPost, path, nil, nil), http.StatusUnauthorized)
	servertest.ProblemOf(t, e.Do("agent", http.MethodPost, path+"?weight=2", nil, nil), http.StatusBadRequest)
	servertest.DecodeStrict[apiv1.Proposal](t, e.Do("improver", http.MethodPost, "/api/v1/proposals/"+p.ID+"/decline", map[string]any{}, nil), http.StatusOK)
	pr := servertest.ProblemOf(t, e.Do("improver", http.MethodPost, path, nil, nil), http.StatusConflict)
	require.Contains(t, pr.Detail, "declined")
}

func TestAdoptProposal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("agent", store.RoleStaff, "customer_service")
	e.Actor("owner", store.RoleOwner)
	e.Actor("improver", store.RoleImprover)
	p := e.Propose("agent", "Refunds up to 50 EUR at first line", false)
	path := "/api/v1/proposals/" + p.ID + "/adopt"
	ok := map[string]any{"flow": "complaint", "metric": "cycle_time"}

	servertest.ProblemOf(t, e.Do("", http.MethodPost, path, ok, nil), http.StatusUnauthorized)
	servertest.ProblemOf(t, e.Do("agent", http.MethodPost, path, ok, nil), http.StatusForbidden)
	servertest.ProblemOf(t, e.Do("owner", http.MethodPost, path, ok, nil), http.StatusForbidden)
	servertest.ProblemOf(t, e.Do("improver", http.MethodPost, "/api/v1/proposals/nope/adopt", ok, nil), http.StatusNotFound)
	pr := servertest.ProblemOf(t, e.Do("improver", http.MethodPost, path, map[string]any{"flow": "nope", "metric": "fcr"}, nil), http.StatusNotFound)
	require.Equal(t, []string{"flow"}, fieldsOf(pr))
	for _, tc := range []struct {
		body   any
		status int
		fields []string
	}{
		{map[string]any{"flow": "complaint", "metric": "happiness"}, 422, []string{"metric"}},
		{map[string]any{"flow": "complaint"}, 422, []string{"metric"}},
		{map[string]any{"metric": "csat"}, 422, []string{"flow"}},
		{map[string]any{"flow": " ", "metric": ""}, 422, []string{"flow", "metric"}},
		{map[string]any{"flow": "nope", "metric": "happiness"}, 422, []string{"metric"}},
		{`{"flow": "complaint", "metric": "fcr", "share": 50}`, 400, []string{"body"}},
		{`{"flow": 7}`, 400, []string{"body.flow"}},
		{`not json`, 400, []string{"body"}},
	} {
		pr := servertest.ProblemOf(t, e.Do("improver", http.MethodPost, path, tc.body, nil), tc.status)
		require.Equal(t, tc.fields, fieldsOf(pr), "%v", tc.body)
	}
	require.Empty(t, e.pdcaCases(), "no cycle for a refused request")

	a := e.Adopt(p.ID, "complaint", "fcr")
	require.Equal(t, store.ProposalAdopted, a.Proposal.Status)
	require.Equal(t, a.Case.ID, a.Proposal.AdoptedCaseID)
	require.Equal(t, apiv1.PDCAFlow, a.Case.Flow)
	require.Equal(t, ImprovementCustomer, a.Case.Customer)
	require.Equal(t, ImprovementChannel, a.Case.Channel)
	require.Equal(t, store.CaseActive, a.Case.Status)
	require.Equal(t, "plan", a.Case.Step, "the fake engine passes the baseline step and waits at plan")
	require.Equal(t, WorkflowID(apiv1.PDCAFlow, a.Case.ID), a.Case.WorkflowID)
	require.Equal(t, e.actors["improver"].ID, a.Case.CreatedBy)
	var attrs map[string]any
	require.NoError(t, json.Unmarshal(a.Case.Attributes, &attrs))
	require.Equal(t, map[string]any{"flow": "complaint", "metric": "fcr", "proposal_id": p.ID, "problem": p.Title}, attrs)

	// Exactly one pdca case and one started workflow, the same as a case
	// started through POST /api/v1/cases.
	cs := e.pdcaCases()
	require.Len(t, cs, 1)
	require.Equal(t, a.Case.ID, cs[0].ID)
	e.eng.Mu.Lock()
	require.Equal(t, []string{a.Case.WorkflowID}, e.eng.Starts)
	fc := e.eng.Cases[a.Case.WorkflowID]
	e.eng.Mu.Unlock()
	require.Equal(t, apiv1.PDCAFlow, fc.In.Definition.Key)
	require.Equal(t, "complaint", fc.In.Attributes["flow"])
	require.Len(t, e.auditsOf("case:"+a.Case.ID, "case.create"), 1)
	adopts := e.auditsOf("proposal:"+p.ID, "proposal.adopt")
	require.Len(t, adopts, 1)
	require.Equal(t, e.actors["improver"].ID, adopts[0].Actor)
	require.Equal(t, map[string]any{"case_id": a.Case.ID, "flow": "complaint", "metric": "fcr"}, detailsOf(t, adopts[0]))
	got := servertest.DecodeStrict[apiv1.Proposal](t, e.Do("agent", http.MethodGet, "/api/v1/proposals/"+p.ID, nil, nil), http.StatusOK)
	require.Equal(t, a.Proposal, got)

	// Not open any more: adopt (even the same request), decline and vote are 409.
	pr = servertest.ProblemOf(t, e.Do("improver", http.MethodPost, path, map[string]any{"flow": "complaint", "metric": "fcr"}, nil), http.StatusConflict)
	require.Contains(t, pr.Detail, a.Case.ID)
	servertest.ProblemOf(t, e.Do("admin", http.MethodPost, path, ok, nil), http.StatusConflict)
	servertest.ProblemOf(t, e.Do("improver", http.MethodPost, "/api/v1/proposals/"+p.ID+"/decline", map[string]any{}, nil), http.StatusConflict)
	servertest.ProblemOf(t, e.Do("agent", http.MethodPost, "/api/v1/proposals/"+p.ID+"/vote", nil, nil), http.StatusConflict)
	require.Len(t, e.pdcaCases(), 1)
	require.Equal(t, 1, e.eng.StartCount())

	// The server's own idempotency keys cannot be used by clients.
	pr = servertest.ProblemOf(t, e.Do("admin", http.MethodPost, "/api/v1/cases", map[string]any{"flow": "complaint", "customer": "c"},
		http.Header{apiv1.IdempotencyKeyHeader: {"flowlab:proposal:x"}}), http.StatusBadRequest)
	require.Equal(t, []string{apiv1.IdempotencyKeyHeader}, fieldsOf(pr))
}

// raceStore runs hook before AdoptProposal, or fails it with failAdopt
// while failures remain.
type raceStore struct {
	store.Store
	hook      func(ctx context.Context, id string)
	failAdopt error
	failures  atomic.Int32
}

func (s *raceStore) AdoptProposal(ctx context.Context, id, caseID string, at time.Time) (store.Proposal, error) {
	if s.hook != nil {
		s.hook(ctx, id)
	}
	if s.failures.Add(-1) >= 0 {
		return store.Proposal{}, fmt.Errorf("sqlite: adopt proposal: %w", s.failAdopt)
	}
	return s.Store.AdoptProposal(ctx, id, caseID, at)
}

func TestAdoptProposalDeclinedMeanwhile(t *testing.T) {
	t.Parallel()
	base := newEnv(t)
	rs := &raceStore{Store: base.st}
	e := newEnvWithStore(t, rs)
	e.Actor("agent", store.RoleStaff, "customer_service")
	e.Actor("improver", store.RoleImprover)
	p := e.Propose("agent", "One form for all complaints", false)
	rs.hook = func(ctx context.Context, id string) {
		_, err := base.st.DeclineProposal(ctx, id, time.Now())
		require.NoError(t, err)
	}
	pr := servertest.ProblemOf(t, e.Do("improver", http.MethodPost, "/api/v1/proposals/"+p.ID+"/adopt",
		map[string]any{"flow": "complaint", "metric": "csat"}, nil), http.StatusConflict)
	require.Contains(t, pr.Detail, "declined")
	require.Contains(t, pr.Detail, "was cancelled")

	// The case started for it was cancelled; the proposal stays declined.
	cs := e.pdcaCases()
	require.Len(t, cs, 1)
	e.eng.Mu.Lock()
	require.Equal(t, []string{cs[0].WorkflowID}, e.eng.Cancels)
	e.eng.Mu.Unlock()
	require.Len(t, e.auditsOf("case:"+cs[0].ID, "case.cancel"), 1)
	require.Empty(t, e.auditsOf("proposal:"+p.ID, "proposal.adopt"))
	got, err := base.st.GetProposal(context.Background(), p.ID)
	require.NoError(t, err)
	require.Equal(t, store.ProposalDeclined, got.Status)
	require.Equal(t, "", got.AdoptedCaseID)
}

func TestAdoptProposalRetryAfterFailure(t *testing.T) {
	t.Parallel()
	base := newEnv(t)
	rs := &raceStore{Store: base.st, failAdopt: store.ErrUnavailable}
	rs.failures.Store(1)
	e := newEnvWithStore(t, rs)
	e.Actor("agent", store.RoleStaff, "customer_service")
	e.Actor("improver", store.RoleImprover)
	p := e.Propose("agent", "Route VIP complaints to a senior agent", false)

	// The case is stored and started, then marking the proposal fails: the
	// proposal stays open, the case is kept.
	servertest.ProblemOf(t, e.Do("improver", http.MethodPost, "/api/v1/proposals/"+p.ID+"/adopt",
		map[string]any{"flow": "complaint", "metric": "sla_breach_rate"}, nil), http.StatusServiceUnavailable)
	got, err := base.st.GetProposal(context.Background(), p.ID)
	require.NoError(t, err)
	require.Equal(t, store.ProposalOpen, got.Status)
	first := e.pdcaCases()
	require.Len(t, first, 1)

	// The retry (by another improver) continues with the same case.
	e.Actor("improver2", store.RoleImprover)
	res := e.Do("improver2", http.MethodPost, "/api/v1/proposals/"+p.ID+"/adopt", map[string]any{"flow": "complaint", "metric": "sla_breach_rate"}, nil)
	a := servertest.DecodeStrict[apiv1.Adoption](t, res, http.StatusCreated)
	require.Equal(t, first[0].ID, a.Case.ID)
	require.Equal(t, first[0].ID, a.Proposal.AdoptedCaseID)
	require.Len(t, e.pdcaCases(), 1)
	require.Equal(t, 1, e.eng.Running())
	e.eng.Mu.Lock()
	require.Empty(t, e.eng.Cancels)
	e.eng.Mu.Unlock()
}

func TestAdoptProposalConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("agent", store.RoleStaff, "customer_service")
	e.Actor("improver", store.RoleImprover)

	run := func(id string, bodies []string) (codes map[int]int, adopted apiv1.Adoption) {
		codes = map[int]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, body := range bodies {
			wg.Go(func() {
				_, rec := e.Send("improver", http.MethodPost, "/api/v1/proposals/"+id+"/adopt", body, nil)
				mu.Lock()
				defer mu.Unlock()
				codes[rec.Code]++
				if rec.Code == http.StatusCreated {
					require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &adopted))
				}
			})
		}
		wg.Wait()
		return codes, adopted
	}

	// The same adoption ten times at once: one cycle, one 201.
	p := e.Propose("agent", "Same request", false)
	same := make([]string, 10)
	for i := range same {
		same[i] = `{"flow":"complaint","metric":"cycle_time"}`
	}
	codes, a := run(p.ID, same)
	require.Equal(t, map[int]int{http.StatusCreated: 1, http.StatusConflict: 9}, codes)
	cs := e.pdcaCases()
	require.Len(t, cs, 1)
	require.Equal(t, a.Case.ID, cs[0].ID)
	e.eng.Mu.Lock()
	require.Empty(t, e.eng.Cancels, "the losers share the winner's case")
	e.eng.Mu.Unlock()

	// Different adoptions at once: one wins, the others' cycles are cancelled.
	q := e.Propose("agent", "Different requests", false)
	codes, b := run(q.ID, []string{`{"flow":"complaint","metric":"cycle_time"}`, `{"flow":"complaint","metric":"fcr"}`,
		`{"flow":"complaint","metric":"csat"}`, `{"flow":"complaint","metric":"sla_breach_rate"}`})
	require.Equal(t, 1, codes[http.StatusCreated])
	require.Equal(t, 3, codes[http.StatusConflict])
	var mine []store.Case
	for _, c := range e.pdcaCases() {
		if strings.Contains(string(c.Attributes), q.ID) {
			mine = append(mine, c)
		}
	}
	e.eng.Mu.Lock()
	cancels := append([]string(nil), e.eng.Cancels...)
	e.eng.Mu.Unlock()
	for _, c := range mine {
		if c.ID == b.Case.ID {
			require.NotContains(t, cancels, c.WorkflowID)
		} else {
			require.Contains(t, cancels, c.WorkflowID, "a losing adoption cancels its cycle")
		}
	}
	require.Len(t, cancels, len(mine)-1)
	got, err := e.st.GetProposal(context.Background(), q.ID)
	require.NoError(t, err)
	require.Equal(t, b.Case.ID, got.AdoptedCaseID)
}

func TestDeclineProposal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("agent", store.RoleStaff, "customer_service")
	e.Actor("improver", store.RoleImprover)
	p := e.Propose("agent", "Chat on weekends", false)
	path := "/api/v1/proposals/" + p.ID + "/decline"

	servertest.ProblemOf(t, e.Do("", http.MethodPost, path, map[string]any{}, nil), http.StatusUnauthorized)
	servertest.ProblemOf(t, e.Do("agent", http.MethodPost, path, map[string]any{}, nil), http.StatusForbidden)
	servertest.ProblemOf(t, e.Do("improver", http.MethodPost, "/api/v1/proposals/nope/decline", map[string]any{}, nil), http.StatusNotFound)
	pr := servertest.ProblemOf(t, e.Do("improver", http.MethodPost, path, map[string]any{"reason": strings.Repeat("x", 1001)}, nil), http.StatusUnprocessableEntity)
	require.Equal(t, []string{"reason"}, fieldsOf(pr))
	pr = servertest.ProblemOf(t, e.Do("improver", http.MethodPost, path, `{"reason": "x", "notify": true}`, nil), http.StatusBadRequest)
	require.Equal(t, []string{"body"}, fieldsOf(pr))
	servertest.ProblemOf(t, e.Do("improver", http.MethodPost, path, `{"reason": `, nil), http.StatusBadRequest)

	d := servertest.DecodeStrict[apiv1.Proposal](t, e.Do("improver", http.MethodPost, path, map[string]any{"reason": " weekend volume is too low "}, nil), http.StatusOK)
	require.Equal(t, store.ProposalDeclined, d.Status)
	require.Equal(t, "", d.AdoptedCaseID)
	entries := e.auditsOf("proposal:"+p.ID, "proposal.decline")
	require.Len(t, entries, 1)
	require.Equal(t, e.actors["improver"].ID, entries[0].Actor)
	require.Equal(t, map[string]any{"reason": "weekend volume is too low"}, detailsOf(t, entries[0]))

	pr = servertest.ProblemOf(t, e.Do("admin", http.MethodPost, path, map[string]any{}, nil), http.StatusConflict)
	require.Contains(t, pr.Detail, "declined")
	servertest.ProblemOf(t, e.Do("improver", http.MethodPost, "/api/v1/proposals/"+p.ID+"/adopt", map[string]any{"flow": "complaint", "metric": "fcr"}, nil), http.StatusConflict)
	require.Empty(t, e.pdcaCases())
}

// An injected store failure is a 503 through the proposal routes too.
func TestProposalStoreUnavailable(t *testing.T) {
	t.Parallel()
	base := newEnv(t)
	rs := &raceStore{Store: base.st, hook: func(context.Context, string) {}}
	e := newEnvWithStore(t, unavailableProposals{rs})
	e.Actor("agent", store.RoleStaff, "customer_service")
	for _, path := range []string{"/api/v1/proposals", "/api/v1/proposals/x", "/api/v1/kpis/improvement"} {
		p := servertest.ProblemOf(t, e.Do("agent", http.MethodGet, path, nil, nil), http.StatusServiceUnavailable)
		require.NotContains(t, p.Detail, "secret")
	}
}

type unavailableProposals struct{ store.Store }

func (unavailableProposals) GetProposal(context.Context, string) (store.Proposal, error) {
	return store.Proposal{}, fmt.Errorf("secret: %w", store.ErrUnavailable)
}

func (unavailableProposals) ListProposals(context.Context, store.ListProposalsParams) ([]store.Proposal, error) {
	return nil, fmt.Errorf("secret: %w", store.ErrUnavailable)
}

func (unavailableProposals) ProposalStats(context.Context) (store.ProposalCounts, error) {
	return store.ProposalCounts{}, errors.Join(errors.New("secret"), store.ErrUnavailable)
}
