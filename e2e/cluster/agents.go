package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/flowlab/flowlab/apiv1"
)

// Completion is a task completion the API acknowledged with 200.
type Completion struct {
	TaskID, CaseID, Step, Outcome, Agent, Key string
}

// Agents are simulated staff: per department, agents with their own staff
// tokens poll the department's inbox, claim a random open task, think, and
// complete it with its first outcome and a filled form. A completion that
// fails with 5xx or a transport error is retried with the same
// Idempotency-Key until it is answered; every answer is counted.
type Agents struct {
	API   *API
	Admin string
	// Seed makes every choice (task picked, form values, think times)
	// reproducible; the interleaving with the engine is not.
	Seed uint64
	// Think is the longest pause before a claim and before a completion.
	Think time.Duration
	// Only, when set, limits the agents to the tasks it accepts.
	Only func(apiv1.Task) bool

	mu       sync.Mutex
	acked    map[string]Completion // by task id
	statuses map[string]int        // "claim 409", "complete 503", …
	failures []string              // answers no agent should get
}

// Departments the built-in complaint flow routes to.
var Departments = []string{"customer_service", "technical", "crisis_team", "supervisor"}

func (a *Agents) init() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.acked == nil {
		a.acked = map[string]Completion{}
		a.statuses = map[string]int{}
	}
}

// Run starts perDept agents per department and returns when ctx ends and
// every agent has stopped.
func (a *Agents) Run(ctx context.Context, perDept int) error {
	a.init()
	type agent struct {
		name, dept, token string
		rng               *rand.Rand
	}
	var agents []agent
	for i, dept := range Departments {
		for j := 0; j < perDept; j++ {
			name := fmt.Sprintf("%s-%d", dept, j+1)
			tok, err := a.tokenWithRetry(ctx, name, dept)
			if err != nil {
				return err
			}
			agents = append(agents, agent{name: name, dept: dept, token: tok,
				rng: rand.New(rand.NewPCG(a.Seed, uint64(i*100+j)))})
		}
	}
	var wg sync.WaitGroup
	for _, ag := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.work(ctx, ag.name, ag.dept, ag.token, ag.rng)
		}()
	}
	wg.Wait()
	return nil
}

func (a *Agents) tokenWithRetry(ctx context.Context, name, dept string) (string, error) {
	for {
		tok, err := a.API.Token(ctx, a.Admin, "agent "+name, dept)
		if err == nil {
			return tok, nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("token for %s: %w", name, errors.Join(err, ctx.Err()))
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (a *Agents) count(what string) {
	a.mu.Lock()
	a.statuses[what]++
	a.mu.Unlock()
}

func (a *Agents) fail(format string, args ...any) {
	a.mu.Lock()
	a.failures = append(a.failures, fmt.Sprintf(format, args...))
	a.mu.Unlock()
}

// answer counts an answer and says whether it is a transient failure to
// retry (transport error, 502/503/504); a 500 or another unexpected
// status is recorded as a failure.
func (a *Agents) answer(op string, resp Response, err error, ok ...int) (retry bool) {
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return false
		}
		a.count(op + " transport error")
		return true
	}
	a.count(fmt.Sprintf("%s %d", op, resp.Status))
	for _, s := range ok {
		if resp.Status == s {
			return false
		}
	}
	switch resp.Status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if resp.Status == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
			a.fail("%s: 503 without Retry-After: %s", op, resp)
		}
		return true
	}
	a.fail("%s: unexpected answer %s", op, resp)
	return false
}

func (a *Agents) work(ctx context.Context, name, dept, token string, rng *rand.Rand) {
	me := ""
	for ctx.Err() == nil {
		resp, err := a.API.Do(ctx, token, http.MethodGet, "/api/v1/tasks?status=open&limit=100&department="+url.QueryEscape(dept), nil)
		if a.answer("inbox", resp, err, http.StatusOK) || err != nil || resp.Status != http.StatusOK {
			pause(ctx, 200*time.Millisecond)
			continue
		}
		var inbox apiv1.TaskList
		if err := json.Unmarshal(resp.Body, &inbox); err != nil {
			a.fail("inbox: %v: %s", err, resp)
			continue
		}
		var free []apiv1.Task
		for _, t := range inbox.Tasks {
			if (t.Assignee == "" || t.Assignee == me) && (a.Only == nil || a.Only(t)) {
				free = append(free, t)
			}
		}
		if len(free) == 0 {
			pause(ctx, time.Duration(50+rng.IntN(100))*time.Millisecond)
			continue
		}
		sort.Slice(free, func(i, j int) bool { return free[i].ID < free[j].ID })
		t := free[rng.IntN(len(free))]
		data := FormData(t, rng)
		pause(ctx, a.think(rng))
		if t.Assignee == "" {
			resp, err := a.API.Do(ctx, token, http.MethodPost, "/api/v1/tasks/"+t.ID+"/claim", map[string]any{})
			a.answer("claim", resp, err, http.StatusOK, http.StatusConflict)
			if err != nil || resp.Status != http.StatusOK {
				continue
			}
			var claimed apiv1.Task
			if err := json.Unmarshal(resp.Body, &claimed); err == nil {
				me = claimed.Assignee
			}
			pause(ctx, a.think(rng))
		}
		a.complete(ctx, name, token, t, data)
	}
}

// complete completes t, retrying transient failures with the same
// Idempotency-Key until it is answered or ctx ends.
func (a *Agents) complete(ctx context.Context, name, token string, t apiv1.Task, data map[string]any) {
	key := "agent-" + name + "-" + t.ID
	outcome := t.Outcomes[0]
	backoff := 200 * time.Millisecond
	for ctx.Err() == nil {
		resp, err := a.API.Do(ctx, token, http.MethodPost, "/api/v1/tasks/"+t.ID+"/complete",
			apiv1.CompleteRequest{Outcome: outcome, Data: data}, apiv1.IdempotencyKeyHeader, key)
		// A 409 is a failure: a claimed task is closed by its claimant only,
		// and a retry with the same key replays the first answer.
		if a.answer("complete", resp, err, http.StatusOK) {
			wait := backoff
			if ra := resp.RetryAfter(); ra > 0 && time.Duration(ra)*time.Second < wait {
				wait = time.Duration(ra) * time.Second
			}
			pause(ctx, wait)
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		if err == nil && resp.Status == http.StatusOK {
			a.mu.Lock()
			if prev, dup := a.acked[t.ID]; dup && prev.Key != key {
				a.failures = append(a.failures, fmt.Sprintf("task %s acknowledged twice: by %s and %s", t.ID, prev.Agent, name))
			}
			a.acked[t.ID] = Completion{TaskID: t.ID, CaseID: t.CaseID, Step: t.Step, Outcome: outcome, Agent: name, Key: key}
			a.mu.Unlock()
		}
		return
	}
}

func (a *Agents) think(rng *rand.Rand) time.Duration {
	if a.Think <= 0 {
		return 0
	}
	return time.Duration(rng.Int64N(int64(a.Think)))
}

// Acked returns the acknowledged completions by task id.
func (a *Agents) Acked() map[string]Completion {
	a.init()
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]Completion, len(a.acked))
	for k, v := range a.acked {
		out[k] = v
	}
	return out
}

// WaitAcked waits until n completions are acknowledged: a case can show
// as completed before the answer to its last completion reaches the agent.
func (a *Agents) WaitAcked(ctx context.Context, n int) error {
	for {
		got := len(a.Acked())
		if got >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d completions acknowledged: %w", got, n, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Failures are the answers no agent should have had (500s, 503s without
// Retry-After, a task acknowledged to two agents, …).
func (a *Agents) Failures() []string {
	a.init()
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.failures...)
}

// Statuses summarises the answers the agents got, e.g.
// "complete 200=180 complete 503=4 claim 409=12".
func (a *Agents) Statuses() string {
	a.init()
	a.mu.Lock()
	defer a.mu.Unlock()
	keys := make([]string, 0, len(a.statuses))
	for k := range a.statuses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, a.statuses[k])
	}
	return strings.Join(parts, " ")
}

// FormData fills a task's form the way an agent would, choosing enum
// options with rng.
func FormData(t apiv1.Task, rng *rand.Rand) map[string]any {
	d := map[string]any{}
	for _, f := range t.Form {
		switch f.Type {
		case "number":
			d[f.Name] = 10 + rng.IntN(500)
		case "bool":
			d[f.Name] = rng.IntN(2) == 0
		case "enum":
			d[f.Name] = f.Options[rng.IntN(len(f.Options))]
		default:
			d[f.Name] = "crash test " + f.Name
		}
	}
	return d
}

func pause(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// CreateCases creates n complaint cases named prefix-1…prefix-n, each with
// an Idempotency-Key, retrying transient failures with the same key; it
// returns the ids of the cases the API acknowledged (201, or 200 for a
// replay).
func CreateCases(ctx context.Context, api *API, admin, prefix string, n int, rng *rand.Rand) ([]string, error) {
	ids := make([]string, 0, n)
	for i := 1; i <= n; i++ {
		key := fmt.Sprintf("%s-%d", prefix, i)
		body := map[string]any{"flow": "complaint", "customer": key, "channel": "chat",
			"attributes": map[string]any{"severity": []string{"primary", "intermediate", "advanced"}[rng.IntN(3)]}}
		id, err := CreateCase(ctx, api, admin, key, body)
		if err != nil {
			return ids, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// CreateCase posts one case with an Idempotency-Key, retrying 5xx and
// transport errors with the same key until ctx ends.
func CreateCase(ctx context.Context, api *API, admin, key string, body map[string]any) (string, error) {
	for {
		resp, err := api.Do(ctx, admin, http.MethodPost, "/api/v1/cases", body, apiv1.IdempotencyKeyHeader, key)
		if err == nil && (resp.Status == http.StatusCreated || resp.Status == http.StatusOK) {
			var c apiv1.Case
			if err := json.Unmarshal(resp.Body, &c); err != nil || c.ID == "" {
				return "", fmt.Errorf("create case %s: %s", key, resp)
			}
			return c.ID, nil
		}
		if err == nil && resp.Status < 500 {
			return "", fmt.Errorf("create case %s: %s", key, resp)
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("create case %s: %w (last: %v %s)", key, ctx.Err(), err, resp)
		case <-time.After(300 * time.Millisecond):
		}
	}
}
