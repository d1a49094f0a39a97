package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"
	"google.golang.org/protobuf/proto"

	"github.com/flowlab/flowlab/codec"
	"github.com/flowlab/flowlab/searchattr"
	"github.com/flowlab/flowlab/workflows"
)

const testAdminToken = "flk_admin-token-for-the-encryption-test"

// caseRun is a complaint case driven through the real API, worker and an
// in-process Temporal, with customer data only a leak would show.
type caseRun struct {
	workflowID  string
	customer    string
	attrCanary  string
	formCanary  string
	attributes  map[string]any
	rawHistory  []byte
	searchAttrs map[string]*commonpb.Payload
	temporalNS  string
}

// runCanaryCase starts a complaint whose attributes and first task's form
// carry canaries, completes that task, and fetches the raw history with a
// client that has no codec.
func runCanaryCase(t *testing.T, ts *temporaltest.TestServer, kc *codec.Codec, tag string) caseRun {
	t.Helper()
	ctx := context.Background()
	run := caseRun{
		customer:   "Zephyrine Quillfeather-" + tag,
		attrCanary: "attr-canary-" + tag + "-7fa3",
		formCanary: "form-canary-" + tag + "-91bd",
		temporalNS: ts.GetDefaultNamespace(),
	}
	extras := connExtras{logger: discard(), codec: kc}
	c, err := client.DialContext(ctx, extras.apply(client.Options{HostPort: ts.GetFrontendHostPort(), Namespace: run.temporalNS}))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	raw, err := client.DialContext(ctx, client.Options{HostPort: ts.GetFrontendHostPort(), Namespace: run.temporalNS, Logger: sdkLogger(sdkLoggerFor(discard()))})
	require.NoError(t, err)
	t.Cleanup(raw.Close)
	require.NoError(t, searchattr.Ensure(ctx, raw, run.temporalNS, searchattr.Types(workflows.SearchAttributes())))

	st, err := openStore(ctx, "sqlite:"+filepath.Join(t.TempDir(), "flowlab.db"), true)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	w, err := newWorker(c, st, discard(), "", nil, time.Second)
	require.NoError(t, err)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	h, err := apiHandler(ctx, st, c, discard(), apiOptions{adminToken: testAdminToken, namespace: run.temporalNS})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	call := func(method, path string, body any, want int, out any) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, err := json.Marshal(body)
			require.NoError(t, err)
			rd = bytes.NewReader(b)
		}
		req, err := http.NewRequest(method, srv.URL+path, rd)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+testAdminToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, want, resp.StatusCode, "%s %s: %s", method, path, data)
		if out != nil {
			require.NoError(t, json.Unmarshal(data, out), string(data))
		}
	}
	type caseJSON struct {
		ID         string         `json:"id"`
		WorkflowID string         `json:"workflow_id"`
		Customer   string         `json:"customer"`
		Attributes map[string]any `json:"attributes"`
		Tasks      []struct {
			ID   string `json:"id"`
			Step string `json:"step"`
		} `json:"tasks"`
	}
	var created caseJSON
	call(http.MethodPost, "/api/v1/cases", map[string]any{
		"flow": "complaint", "customer": run.customer, "channel": "phone",
		"attributes": map[string]any{"note": run.attrCanary},
	}, http.StatusCreated, &created)
	openTask := func(step string) string {
		var id string
		require.Eventually(t, func() bool {
			var got caseJSON
			call(http.MethodGet, "/api/v1/cases/"+created.ID, nil, http.StatusOK, &got)
			if len(got.Tasks) == 1 && got.Tasks[0].Step == step {
				id = got.Tasks[0].ID
				return true
			}
			return false
		}, 20*time.Second, 50*time.Millisecond, "task %s opens", step)
		return id
	}
	task := openTask("record")
	call(http.MethodPost, "/api/v1/tasks/"+task+"/claim", map[string]any{}, http.StatusOK, nil)
	call(http.MethodPost, "/api/v1/tasks/"+task+"/complete", map[string]any{
		"outcome": "recorded",
		"data":    map[string]any{"severity": "primary", "summary": "router down at " + run.formCanary},
	}, http.StatusOK, nil)
	openTask("investigate")

	// The API still reads the case, decrypting where it must.
	var got caseJSON
	call(http.MethodGet, "/api/v1/cases/"+created.ID, nil, http.StatusOK, &got)
	require.Equal(t, run.customer, got.Customer)
	run.attributes = got.Attributes
	run.workflowID = got.WorkflowID
	require.NotEmpty(t, run.workflowID)

	// The history as the Temporal server stores it, through a client
	// without the codec: every page, serialized.
	var hist bytes.Buffer
	var token []byte
	for {
		resp, err := raw.WorkflowService().GetWorkflowExecutionHistory(ctx, &workflowservice.GetWorkflowExecutionHistoryRequest{
			Namespace: run.temporalNS, Execution: &commonpb.WorkflowExecution{WorkflowId: run.workflowID}, NextPageToken: token,
		})
		require.NoError(t, err)
		b, err := proto.Marshal(resp.GetHistory())
		require.NoError(t, err)
		hist.Write(b)
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	run.rawHistory = hist.Bytes()
	require.Greater(t, len(run.rawHistory), 1000, "a history with events")

	desc, err := raw.DescribeWorkflowExecution(ctx, run.workflowID, "")
	require.NoError(t, err)
	run.searchAttrs = desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()
	return run
}

func newTestCodec(t *testing.T) *codec.Codec {
	t.Helper()
	key := make([]byte, codec.KeySize)
	_, err := rand.Read(key)
	require.NoError(t, err)
	ring, err := codec.ParseKeyring("test-1:" + base64.StdEncoding.EncodeToString(key))
	require.NoError(t, err)
	return codec.New(ring)
}

// TestPayloadEncryptionKeepsCustomerDataOutOfHistory: with the codec, the
// canaries of a case's attributes and of a task's form data are nowhere
// in the raw history (nor is the customer's name), while the API reads
// the case; without it they are there, so the check can see a leak.
func TestPayloadEncryptionKeepsCustomerDataOutOfHistory(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	for _, tc := range []struct {
		name      string
		encrypted bool
	}{{"encrypted", true}, {"plain", false}} {
		t.Run(tc.name, func(t *testing.T) {
			var kc *codec.Codec
			if tc.encrypted {
				kc = newTestCodec(t)
			}
			run := runCanaryCase(t, ts, kc, tc.name)
			require.Equal(t, run.attrCanary, run.attributes["note"], "the API reads the case's attributes")
			for _, canary := range []string{run.attrCanary, run.formCanary, run.customer} {
				require.Equal(t, !tc.encrypted, bytes.Contains(run.rawHistory, []byte(canary)),
					"%q in the raw history (encrypted: %v)", canary, tc.encrypted)
			}
			require.Equal(t, tc.encrypted, bytes.Contains(run.rawHistory, []byte(codec.EncodingEncrypted)))
		})
	}
}

// TestNoCustomerDataInWorkflowIDsOrSearchAttributes: what Temporal
// indexes and shows unencrypted (the workflow id, search attributes) holds
// no customer data, whatever the codec.
func TestNoCustomerDataInWorkflowIDsOrSearchAttributes(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	run := runCanaryCase(t, ts, newTestCodec(t), "ids")
	require.NotEmpty(t, run.searchAttrs, "the case publishes search attributes")
	customerParts := append(strings.Fields(run.customer), run.attrCanary, run.formCanary)
	for _, part := range customerParts {
		require.NotContains(t, run.workflowID, part)
	}
	for name, p := range run.searchAttrs {
		require.NotEqual(t, codec.EncodingEncrypted, string(p.GetMetadata()["encoding"]), "search attributes are never encrypted")
		value := fmt.Sprintf("%s %s", p.GetData(), p.GetMetadata())
		for _, part := range customerParts {
			require.NotContains(t, value, part, "search attribute %s", name)
		}
	}
}
