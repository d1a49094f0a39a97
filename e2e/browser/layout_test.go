package browser

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
)

// layoutSizes are the widths every page is checked at: a 1366 px laptop,
// a 1920 px desktop and a tablet held upright.
var layoutSizes = []viewport{laptop, desktop, tabletPortrait}

// testEveryPageAtCommonWidths opens every page of the web UI as the role
// that uses it, with real data on it (a case with a handoff, a pilot,
// a proposal), at 1366 and 1920 px and at a tablet width: each page gets a
// screenshot, and fails when the page is wider than the window, when a
// table is wider than its box (a column cut off) or when a table cell's
// text does not fit its cell (issue 15, item 20). The checks measure every
// table cell of a page, so a column added later is checked too.
func (e *env) testEveryPageAtCommonWidths(t *testing.T) {
	c := e.startCase(t, "C-browser-layout-with-a-rather-long-customer-reference-0123456789")
	tk := e.waitOpenTask(t, c.ID, "customer_service")
	e.claimAndComplete(t, tk)
	// The next task, wherever the flow's default version sends it.
	var next apiv1.Task
	deadline := time.Now().Add(pollLimit)
	for next.ID == "" {
		require.True(t, time.Now().Before(deadline), "case %s has no next task after %s", c.ID, pollLimit)
		for _, x := range e.getCase(t, c.ID).Tasks {
			if x.ID != tk.ID && x.Status == apiv1.TaskOpen {
				next = x
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	prop, err := e.client(t, csAgent).CreateProposal(t.Context(), apiv1.CreateProposalRequest{Title: "Ask for the router model when the complaint is recorded",
		Body: "The technical department asks for it in most cases."})
	require.NoError(t, err)
	pilots, err := e.client(t, improver).ListPilots(t.Context(), apiv1.ListPilotsParams{})
	require.NoError(t, err)
	people, err := e.client(t, admin).ListPeople(t.Context(), apiv1.ListPeopleParams{})
	require.NoError(t, err)
	require.NotEmpty(t, people.People)
	person := "/ui/people/" + people.People[0].ID

	pages := map[string][]string{
		csAgent: {"/ui/inbox", "/ui/cases", "/ui/cases/" + c.ID, "/ui/tasks/" + tk.ID, "/ui/cases/new",
			"/ui/proposals", "/ui/proposals/" + prop.ID, "/ui/improvements", "/ui/kpis", "/ui/notifications", "/ui/settings"},
		techAgent: {"/ui/inbox"},
		admin: {"/ui/inbox", "/ui/tasks/" + next.ID, "/ui/cases/" + c.ID, "/ui/team?department=customer_service",
			"/ui/people", "/ui/people/new", person},
		owner: {"/ui/flows", "/ui/flows/complaint", "/ui/flows/complaint/diff?from=1&to=2", "/ui/flows/complaint/edit",
			"/ui/flows/complaint/migrate?from=1&to=2", "/ui/flows/new", "/ui/logs", "/ui/logs/new", "/ui/inbox", "/ui/cases",
			"/ui/team?department=customer_service", "/ui/people", person, "/ui/reports"},
		improver: {"/ui/pilots", "/ui/pilots/new", "/ui/simulations", "/ui/proposals/" + prop.ID, "/ui/kpis", "/ui/inbox", "/ui/cases/" + c.ID},
	}
	for _, p := range pilots.Pilots {
		pages[improver] = append(pages[improver], "/ui/pilots/"+p.ID)
	}
	for _, who := range []string{csAgent, techAgent, owner, improver, admin} {
		t.Run(who, func(t *testing.T) {
			s := e.newSessionWithin(t, who, 4*time.Minute)
			require.Equal(t, int64(http.StatusOK), s.signIn())
			for i, path := range pages[who] {
				require.Equal(t, int64(http.StatusOK), s.open(path), "%s as %s", path, who)
				step := strings.Trim(unsafeName.ReplaceAllString(path, "-"), "-")
				s.shotAt(string(rune('a'+i))+"-"+step, layoutSizes...)
			}
		})
	}
}
