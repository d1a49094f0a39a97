package web

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/store"
)

// TestUIWatchlist: an owner puts a step on the watchlist from the KPI
// dashboard; it is listed first there with its trend and alerts, and its
// flow first on the flows page; staff see it and cannot change it; a bad
// step is refused in words; the owner takes it off.
func TestUIWatchlist(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("olga", store.RoleOwner)
	e.Actor("sam", store.RoleStaff, "customer_service")

	body := e.page("olga", http.MethodGet, "/ui/kpis", nil).Body.String()
	require.Contains(t, body, `data-testid="watchlist-empty"`)
	require.Contains(t, body, `data-testid="watch-form"`)

	res := e.page("olga", http.MethodPost, "/ui/watchlist", url.Values{"flow": {"complaint"}, "step": {"nap"}})
	require.Equal(t, http.StatusSeeOther, res.Code)
	require.Contains(t, flashText(e.follow("olga", res)), `Not added: step: flow complaint v`)

	res = e.page("olga", http.MethodPost, "/ui/watchlist", url.Values{"flow": {"returns-exchange"}, "note": {"refunds wait for finance"}})
	require.Equal(t, http.StatusSeeOther, res.Code)
	page := e.follow("olga", res)
	require.Contains(t, flashText(page), "is on the watchlist")
	require.Contains(t, page, `data-testid="watch" data-id=`)
	require.Contains(t, page, "refunds wait for finance")
	require.Contains(t, page, "no cases completed in the last 8 weeks")

	flows := e.page("olga", http.MethodGet, "/ui/flows", nil).Body.String()
	rows := regexp.MustCompile(`data-testid="flow-row" data-flow="([^"]+)"`).FindAllStringSubmatch(flows, -1)
	require.NotEmpty(t, rows)
	require.Equal(t, "returns-exchange", rows[0][1], "the watched flow first")
	require.Contains(t, flows, `data-testid="flow-watched"`)

	staff := e.page("sam", http.MethodGet, "/ui/kpis", nil).Body.String()
	require.Contains(t, staff, "refunds wait for finance")
	require.NotContains(t, staff, `data-testid="watch-form"`)
	require.NotContains(t, staff, `data-testid="watch-remove"`)

	id := regexp.MustCompile(`data-testid="watch" data-id="([^"]+)"`).FindStringSubmatch(page)[1]
	res = e.page("olga", http.MethodPost, "/ui/watchlist/"+id+"/remove", url.Values{})
	require.Equal(t, http.StatusSeeOther, res.Code)
	page = e.follow("olga", res)
	require.Equal(t, "Taken off the watchlist.", flashText(page))
	require.Contains(t, page, `data-testid="watchlist-empty"`)
}
