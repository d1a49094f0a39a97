package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/store"
)

// Who may change what (decision 0023). Feedback, reopening and events
// change a case's KPIs and its pilot's results, so only the actors that
// serve the case post them; servesCase is the one rule the three handlers
// (and the web UI, which calls them) use.

// caseDepartments are the departments that serve case c: those its flow
// version lists (`departments:`, which holds every task's department) and
// those any of its tasks, open or closed, was in (a migrated or escalated
// case may have had tasks elsewhere). Sorted, without repeats.
func (s *API) caseDepartments(ctx context.Context, c store.Case) ([]string, error) {
	set := map[string]bool{}
	fv, err := s.store.GetFlowVersion(ctx, c.Flow, c.Version)
	if err != nil {
		return nil, fmt.Errorf("flow version of case %s: %w", c.ID, err)
	}
	if err := addVersionDepartments(set, fv); err != nil {
		return nil, err
	}
	tasks, err := s.store.ListTasks(ctx, store.ListTasksParams{CaseID: c.ID, Limit: 1000})
	if err != nil {
		return nil, fmt.Errorf("tasks of case %s: %w", c.ID, err)
	}
	for _, t := range tasks {
		set[t.Department] = true
	}
	return sortedKeys(set), nil
}

// servesCase is nil when actor a serves case c (authz.ServesCase, with the
// case's departments read here), else the 403 that says why not. what
// names the action ("post feedback on", ...).
func (s *API) servesCase(ctx context.Context, a store.Actor, c store.Case, what string) error {
	if authz.ServesEveryCase(a.Role) {
		return nil
	}
	deps, err := s.caseDepartments(ctx, c)
	if err != nil {
		return httpx.StoreProblem(err, fmt.Sprintf("case %q", c.ID))
	}
	if authz.ServesCase(a.Role, a.Departments, deps) {
		return nil
	}
	return httpx.Forbidden(fmt.Sprintf("you may not %s case %q: only admins, owners and the departments that serve it (%s) may; you work in %s",
		what, c.ID, strings.Join(deps, ", "), departmentsText(a.Departments)))
}

func departmentsText(deps []string) string {
	if len(deps) == 0 {
		return "no department"
	}
	return strings.Join(deps, ", ")
}

// actorName is how a refusal names an actor: its name and id, or the id
// alone when it cannot be read.
func (s *API) actorName(ctx context.Context, id string) string {
	if id == httpx.AdminActorID {
		return "the admin"
	}
	a, err := s.store.GetActor(ctx, id)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.WarnContext(ctx, "name of an actor", "actor", id, "error", err)
		}
		return fmt.Sprintf("actor %q", id)
	}
	return fmt.Sprintf("%s (actor %s)", a.Name, a.ID)
}

// claimedConflict is the 409 for a task another actor has claimed: it
// names the claimant and who can release the claim.
func (s *API) claimedConflict(ctx context.Context, t store.Task) *httpx.Problem {
	return httpx.Conflict(fmt.Sprintf("task %q is claimed by %s; they can release it, and so can a team lead of %s or an admin",
		t.ID, s.actorName(ctx, t.Assignee), t.Department))
}

// knownDepartments are the department names a token may carry: those the
// published flow versions use (their `departments:` and every task's
// department) and Config.Departments. Sorted, without repeats.
func (s *API) knownDepartments(ctx context.Context) ([]string, error) {
	set := map[string]bool{}
	for _, d := range s.cfg.Departments {
		set[d] = true
	}
	flows, err := s.store.ListFlows(ctx)
	if err != nil {
		return nil, fmt.Errorf("list flows: %w", err)
	}
	for _, f := range flows {
		vs, err := s.store.ListFlowVersions(ctx, f.Key)
		if err != nil {
			return nil, fmt.Errorf("versions of flow %s: %w", f.Key, err)
		}
		for _, fv := range vs {
			if err := addVersionDepartments(set, fv); err != nil {
				return nil, err
			}
		}
	}
	return sortedKeys(set), nil
}

// addVersionDepartments adds to set the departments flow version fv uses:
// those it lists (`departments:`) and every step's.
func addVersionDepartments(set map[string]bool, fv store.FlowVersion) error {
	var def struct {
		Departments []string `json:"departments"`
		Steps       []struct {
			Department string `json:"department"`
		} `json:"steps"`
	}
	if err := json.Unmarshal(fv.Compiled, &def); err != nil {
		return fmt.Errorf("compiled definition of %s v%d: %w", fv.Key, fv.Version, err)
	}
	for _, d := range def.Departments {
		set[d] = true
	}
	for _, st := range def.Steps {
		if st.Department != "" {
			set[st.Department] = true
		}
	}
	return nil
}

// sortedKeys are the keys of set, sorted.
func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for d := range set {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}
