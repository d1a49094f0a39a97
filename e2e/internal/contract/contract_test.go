package contract

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
)

// document is an OpenAPI 3.1 document of one operation, getHealth, which
// answers 200 with a status string and nothing else.
const document = `{
  "openapi": "3.1.0",
  "info": {"title": "contract test", "version": "1"},
  "paths": {
    "/healthz": {
      "get": {
        "operationId": "getHealth",
        "responses": {
          "200": {
            "description": "ok",
            "content": {"application/json": {"schema": {
              "type": "object", "required": ["status"], "additionalProperties": false,
              "properties": {"status": {"type": "string"}}
            }}}
          }
        }
      }
    }
  }
}`

// server serves document and answers getHealth with status and body.
func server(t *testing.T, status int, body string) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+apiv1.OpenAPIPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(document))
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	})
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return hs.URL
}

// reports collects what a client's transport reports.
type reports struct {
	mu   sync.Mutex
	errs []error
}

func (r *reports) add(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, err)
}

func (r *reports) all() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}

func TestClientAnswerThatKeepsTheDocumentPasses(t *testing.T) {
	var got reports
	c := New(server(t, http.StatusOK, `{"status":"ok"}`))
	h, err := c.Client("", got.add).GetHealth(context.Background())
	require.NoError(t, err)
	require.Equal(t, "ok", h.Status, "the answer reaches the caller unchanged")
	require.Empty(t, got.all())
}

func TestClientReportsAnUndocumentedStatus(t *testing.T) {
	var got reports
	c := New(server(t, http.StatusCreated, `{"status":"ok"}`))
	h, err := c.Client("", got.add).GetHealth(context.Background())
	require.NoError(t, err, "a 201 is a success to apiv1.Client")
	require.Equal(t, "ok", h.Status)
	require.Len(t, got.all(), 1, "but getHealth documents 200 only")
	require.Contains(t, got.all()[0].Error(), "GET /healthz → 201")
}

func TestClientReportsABodyThatBreaksTheSchema(t *testing.T) {
	var got reports
	c := New(server(t, http.StatusOK, `{"status":"ok","surprise":true}`))
	_, err := c.Client("", got.add).GetHealth(context.Background())
	require.NoError(t, err)
	require.Len(t, got.all(), 1)
	require.Contains(t, got.all()[0].Error(), "does not match the OpenAPI document")
}

func TestCheckWithoutADocumentFails(t *testing.T) {
	hs := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(hs.Close)
	c := New(hs.URL)
	req, err := http.NewRequest(http.MethodGet, hs.URL+"/healthz", nil)
	require.NoError(t, err)
	err = c.Check(req, http.StatusOK, http.Header{"Content-Type": {"application/json"}}, []byte(`{"status":"ok"}`))
	require.ErrorContains(t, err, "OpenAPI document")
	require.ErrorContains(t, err, "404")
}
