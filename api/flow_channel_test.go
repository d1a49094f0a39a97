package api

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowlab/flowlab/server/servertest"
	"github.com/stretchr/testify/require"
)

// TestUnknownFlowListsTheFlows: every 404 for a flow key that does not
// exist names the flows that do, wherever the key comes from (the path,
// a request body's field).
func TestUnknownFlowListsTheFlows(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const want = "; the flows are appointment, complaint, pdca, returns-exchange"
	for _, c := range []struct {
		method, path string
		body         any
		field        string
	}{
		{http.MethodGet, "/api/v1/flows/complaynt", nil, ""},
		{http.MethodGet, "/api/v1/flows/complaynt?version=2", nil, ""},
		{http.MethodGet, "/api/v1/flows/complaynt/bottlenecks", nil, ""},
		{http.MethodGet, "/api/v1/flows/complaynt/versions", nil, ""},
		{http.MethodPost, "/api/v1/flows/complaynt/migrations", map[string]any{"from": 1, "to": 2, "mapping": map[string]string{"record": "submit"}, "dry_run": true}, ""},
		{http.MethodPost, "/api/v1/cases", map[string]any{"flow": "complaynt", "customer": "c-1", "channel": "phone"}, "flow"},
		{http.MethodPost, "/api/v1/pilots", map[string]any{"flow": "complaynt", "treatment": 2}, "flow"},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			p := servertest.ProblemOf(t, e.Do("admin", c.method, c.path, c.body, nil), http.StatusNotFound)
			require.Contains(t, p.Detail, `flow "complaynt" not found`+want)
			if c.field != "" {
				require.Len(t, p.Errors, 1)
				require.Equal(t, c.field, p.Errors[0].Field)
			}
		})
	}
	// A known flow's unknown version keeps its own message.
	p := servertest.ProblemOf(t, e.Do("admin", http.MethodGet, "/api/v1/flows/complaint?version=99", nil, nil), http.StatusNotFound)
	require.Contains(t, p.Detail, `flow "complaint" version 99 not found`)
}

// TestCreateCaseChecksTheChannel: a case starts only with one of the
// configured channels; the refusal lists them.
func TestCreateCaseChecksTheChannel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := servertest.ProblemOf(t, e.Do("admin", http.MethodPost, "/api/v1/cases",
		map[string]any{"flow": "complaint", "customer": "c-1", "channel": "carrier pigeon"}, nil), http.StatusUnprocessableEntity)
	require.Len(t, p.Errors, 1)
	require.Equal(t, "channel", p.Errors[0].Field)
	require.Equal(t, `unknown channel "carrier pigeon": want one of phone, chat, wechat, app, email, social (the server's FLOWLAB_CHANNELS)`, p.Errors[0].Message)
	for _, ch := range append(DefaultChannels, "") {
		res := e.Do("admin", http.MethodPost, "/api/v1/cases", map[string]any{"flow": "complaint", "customer": "c-" + ch, "channel": ch}, nil)
		require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	}

	custom := newEnvWithStore(t, e.st, func(c *Config) { c.Channels = []string{"phone", "shop"} })
	res := custom.Do("admin", http.MethodPost, "/api/v1/cases", map[string]any{"flow": "complaint", "customer": "c-2", "channel": "shop"}, nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	p = servertest.ProblemOf(t, custom.Do("admin", http.MethodPost, "/api/v1/cases",
		map[string]any{"flow": "complaint", "customer": "c-3", "channel": "email"}, nil), http.StatusUnprocessableEntity)
	require.True(t, strings.HasSuffix(p.Errors[0].Message, "want one of phone, shop (the server's FLOWLAB_CHANNELS)"), p.Errors[0].Message)
}

// TestUnknownOutcomeListsTheOutcomes: completing with an outcome the step
// does not have says which ones it has.
func TestUnknownOutcomeListsTheOutcomes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("ann", "staff", "customer_service")
	c := e.StartCase()
	task := e.OpenTask(c.ID)
	p := servertest.ProblemOf(t, e.Do("ann", http.MethodPost, "/api/v1/tasks/"+task.ID+"/complete", map[string]any{"outcome": "submitted", "data": recordData}, nil), http.StatusUnprocessableEntity)
	require.Equal(t, "outcome", p.Errors[0].Field)
	require.Equal(t, `outcome "submitted" is not allowed at step record; the step's outcomes are recorded`, p.Errors[0].Message)
	require.Contains(t, p.Detail, "the step's outcomes are recorded")
}

// TestCycleTimeDefinitionIsWritten: the floor of the pilot's cycle-time
// statistics (ln of max(cycle_seconds, 1)) is stated in the results'
// API description and in the pilot decision note, so a recomputation from
// the span export can agree.
func TestCycleTimeDefinitionIsWritten(t *testing.T) {
	doc, err := OpenAPI()
	require.NoError(t, err)
	require.Contains(t, string(doc), "ln(max(cycle_seconds, 1))")
	note, err := os.ReadFile(filepath.Join("..", "docs", "decisions", "0008-pilots.md"))
	require.NoError(t, err)
	require.Contains(t, string(note), "`ln(max(cycle_seconds, 1))`")
}
