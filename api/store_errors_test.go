package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/flowlab/flowlab/api/engine"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
	"github.com/stretchr/testify/require"
)

type flakyStore struct {
	store.Store
	err error
}

func (s flakyStore) GetCase(ctx context.Context, id string) (store.Case, error) {
	return store.Case{}, fmt.Errorf("sqlite: get case: %w: dial unix /var/run/secret.sock", s.err)
}

func (s flakyStore) ListFlows(ctx context.Context) ([]store.FlowSummary, error) {
	return nil, fmt.Errorf("sqlite: list flows: %w (password=hunter2)", s.err)
}

func (s flakyStore) Ping(ctx context.Context) error { return s.err }

func TestStoreErrors(t *testing.T) {
	t.Parallel()
	base := newEnv(t)
	cases := []struct {
		err    error
		status int
	}{
		{store.ErrUnavailable, http.StatusServiceUnavailable},
		{store.ErrConflict, http.StatusConflict},
		{store.ErrNotFound, http.StatusNotFound},
		{errors.New("disk I/O error"), http.StatusInternalServerError},
	}
	for _, c := range cases {
		t.Run(c.err.Error(), func(t *testing.T) {
			e := newEnvWithStore(t, flakyStore{Store: base.st, err: c.err})
			for _, path := range []string{"/api/v1/cases/x", "/api/v1/flows"} {
				// A store that reports a conflict or a missing row on a
				// read is a fault the document does not describe.
				req, res := e.Send("admin", http.MethodGet, path, nil, nil)
				if c.status >= 500 {
					e.CheckContract(req, res)
				}
				servertest.ProblemOf(t, res, c.status)
				require.NotContains(t, res.Body.String(), "secret.sock")
				require.NotContains(t, res.Body.String(), "hunter2")
				if c.status == http.StatusServiceUnavailable {
					require.Equal(t, "5", res.Header().Get("Retry-After"))
				}
			}
			if c.status >= 500 {
				require.Contains(t, e.logs.String(), "secret.sock")
			}
			// Liveness does not look at the database; readiness does.
			require.Equal(t, http.StatusOK, e.Do("", http.MethodGet, "/healthz", nil, nil).Code)
			res := e.Do("", http.MethodGet, "/readyz", nil, nil)
			p := servertest.ProblemOf(t, res, http.StatusServiceUnavailable)
			require.Equal(t, "not ready: the database does not answer", p.Detail)
			require.Equal(t, "5", res.Header().Get("Retry-After"))
		})
	}
}

// The engine's errors (engine.TestTemporalErrorMapping maps Temporal's to
// them) become these answers of a completion.
func TestEngineErrorStatus(t *testing.T) {
	t.Parallel()
	rej := func(reason error, msg string) error { return &engine.RejectedError{Reason: reason, Message: msg} }
	for _, c := range []struct {
		err    error
		status int
	}{
		{rej(engine.ErrStaleTask, "task t is not the task the case waits on"), http.StatusConflict},
		{rej(engine.ErrWrongDepartment, "task t belongs to department technical"), http.StatusForbidden},
		{rej(engine.ErrUnknownOutcome, `outcome "x" is not allowed`), http.StatusUnprocessableEntity},
		{rej(engine.ErrInvalidData, `field "a" is required`), http.StatusUnprocessableEntity},
		{fmt.Errorf("rpc: %w", engine.ErrCaseNotRunning), http.StatusConflict},
		{fmt.Errorf("rpc: %w", engine.ErrEngineUnavailable), http.StatusServiceUnavailable},
		{errors.New("activity failed"), http.StatusInternalServerError},
	} {
		require.Equal(t, c.status, completeProblem(fmt.Errorf("engine: %w", c.err), "t").Status, "%v", c.err)
	}
}
