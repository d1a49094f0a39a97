package browser

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// testCaseSearch (decision 0026): the inbox row names the case's customer
// and channel; the customer links to their cases; the cases page's search
// box finds them by customer and attribute, and says in words why a search
// it cannot run was refused.
func (e *env) testCaseSearch(t *testing.T) {
	const customer = "C-browser-search-with-a-rather-long-customer-reference-0042"
	c1 := e.startCase(t, customer)
	c2 := e.startCase(t, customer)
	other := e.startCase(t, "C-browser-search-other")
	tk := e.waitOpenTask(t, c2.ID, "customer_service")

	cs := e.newSession(t, csAgent)
	require.Equal(t, int64(http.StatusOK), cs.signIn())
	require.True(t, cs.has(row(tk.ID)), "the case's task is in the inbox")
	require.Equal(t, customer, cs.text(row(tk.ID)+` [data-testid="customer"]`))
	require.Equal(t, customer+" · phone", eval[string](cs, `document.querySelector('`+row(tk.ID)+` td.customer').title`),
		"the whole customer is in the title when the cell cuts it")
	require.Equal(t, "phone", cs.text(row(tk.ID)+` [data-testid="channel"]`))
	cs.shotAt("01-inbox-customer", laptop, tabletLand, tabletPortrait)

	// The customer's link lists their cases.
	status := cs.submit("open the customer's cases", chromedp.Click(chromedp.CSS(row(tk.ID)+` a[data-testid="customer"]`)))
	require.Equal(t, int64(http.StatusOK), status)
	ids := func() []string {
		return eval[[]string](cs, `[...document.querySelectorAll('[data-testid="case-row"]')].map(r => r.dataset.caseId)`)
	}
	require.Equal(t, []string{c2.ID, c1.ID}, ids())
	require.Equal(t, `customer:"`+customer+`"`, eval[string](cs, `document.querySelector('[data-testid="cases-search"]').value`))
	cs.shotAt("02-customer-cases", laptop, tabletPortrait)

	// Typed into the box: the other customer's case by customer and attribute.
	cs.do("type a search",
		chromedp.SetValue(chromedp.CSS(`[data-testid="cases-search"]`), "C-browser-search-other severity:primary"))
	status = cs.submit("search", chromedp.Click(chromedp.CSS(`[data-testid="cases-show"]`)))
	require.Equal(t, int64(http.StatusOK), status)
	require.Equal(t, []string{other.ID}, ids())

	// A search that cannot run: said under the box, the box kept.
	cs.do("type a bad search", chromedp.SetValue(chromedp.CSS(`[data-testid="cases-search"]`), "id:6f"))
	status = cs.submit("search", chromedp.Click(chromedp.CSS(`[data-testid="cases-show"]`)))
	require.Equal(t, int64(http.StatusBadRequest), status)
	require.Contains(t, cs.text(`[data-testid="search-error"]`), "Case id: must be a case id or its first 4")
	require.Equal(t, "id:6f", eval[string](cs, `document.querySelector('[data-testid="cases-search"]').value`))
	cs.shotAt("03-refused-search", laptop, tabletPortrait)
}
