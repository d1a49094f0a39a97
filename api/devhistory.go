package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/demohistory"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/simcal"
	"github.com/flowlab/flowlab/store"
)

// devRoutes exist on a flowlab dev only (Config.Dev); elsewhere they answer
// 404 (decision 0044).
var devRoutes = []route{
	{
		Method: http.MethodPost, Pattern: "/api/v1/dev/history", ID: "startDemoHistory", Tag: "dev",
		Summary: "Fill a flowlab dev with simulated history",
		Description: fmt.Sprintf("flowlab dev only (404 elsewhere); admins. Simulates `days` (%d to %d) of operation of the built-in flows "+
			"ending now and writes it in the background, through the same store paths as real cases: every case closed, marked "+
			"simulated (attribute `simulated`, customer `sim-…`), keyed `demo-history:<seed>:<flow>:<n>` so a rerun creates nothing twice; "+
			"no case it did not create is touched. Answers 202 with the job; GET shows its progress. One fill at a time (409). "+
			"Audited as `dev.history`; the fill's rows carry the audit entries real paths write.", demohistory.MinDays, demohistory.MaxDays),
		Roles: authz.Admins,
		Body:  apiv1.DemoHistoryRequest{}, BodyExample: apiv1.DemoHistoryRequest{Days: 90, Seed: 1},
		Status: http.StatusAccepted, Response: apiv1.DemoHistoryJob{}, Example: exampleHistoryRunning,
		Errors: []int{404, 409, 413, 415, 422},
		Audit:  []string{"dev.history"},
		Handle: (*API).startDemoHistory,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/dev/history", ID: "getDemoHistory", Tag: "dev",
		Summary:     "The running or last history fill",
		Description: "flowlab dev only (404 elsewhere); admins. `idle` when none ran since the server started.",
		Roles:       authz.Admins,
		Status:      http.StatusOK, Response: apiv1.DemoHistoryJob{}, Example: exampleHistoryDone,
		Errors: []int{404},
		Handle: (*API).getDemoHistory,
	},
}

// historyFill is what a history job runs (tests replace it).
type historyFill func(ctx context.Context, st store.Store, o demohistory.Options, progress func(demohistory.Progress)) (demohistory.Summary, error)

// historyState is the history fill of this process: one at a time, the
// last one kept for GET.
type historyState struct {
	mu      sync.Mutex
	job     apiv1.DemoHistoryJob
	running bool
}

// historyTimeout bounds one fill (a year takes a few minutes).
const historyTimeout = time.Hour

// notDev is the answer of a dev route on a server that is not a flowlab
// dev.
func notDev() error {
	return httpx.NotFound("this route exists on a flowlab dev only (flowlab dev; decision 0044)")
}

func (s *API) startDemoHistory(w http.ResponseWriter, r *http.Request) error {
	if !s.cfg.Dev {
		return notDev()
	}
	var req apiv1.DemoHistoryRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	var errs []apiv1.FieldError
	if req.Days < demohistory.MinDays || req.Days > demohistory.MaxDays {
		errs = append(errs, apiv1.FieldError{Field: "days", Message: fmt.Sprintf("must be %d to %d days", demohistory.MinDays, demohistory.MaxDays)})
	}
	if req.Seed < 0 {
		errs = append(errs, apiv1.FieldError{Field: "seed", Message: "must not be negative"})
	}
	if len(errs) > 0 {
		return httpx.Invalid(errs...)
	}
	seed := uint64(req.Seed)
	if seed == 0 {
		seed = 1
	}
	ctx := r.Context()
	// A running pilot of complaint takes the dev's new cases: the history
	// then has no pilot of its own.
	_, err := s.store.RunningPilot(ctx, "complaint")
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return httpx.StoreProblem(fmt.Errorf("running pilot: %w", err), "pilot")
	}
	now := s.now().UTC()
	o := demohistory.Options{Days: req.Days, Seed: seed, Now: now, Channels: s.cfg.Channels, Pilot: errors.Is(err, store.ErrNotFound)}

	h := s.history
	h.mu.Lock()
	if h.running {
		h.mu.Unlock()
		return httpx.Conflict("a history fill is running; GET /api/v1/dev/history shows its progress")
	}
	h.running = true
	h.job = apiv1.DemoHistoryJob{Status: apiv1.HistoryRunning, Days: req.Days, Seed: int64(seed), StartedAt: &now}
	job := h.job
	h.mu.Unlock()

	s.audit(r, store.AuditEntry{Action: "dev.history", Object: "history:" + fmt.Sprint(seed),
		Details: mustJSON(map[string]any{"days": req.Days, "seed": seed})})
	go s.runHistory(o)
	httpx.WriteJSON(s.log, w, r, http.StatusAccepted, job)
	return nil
}

// runHistory fills the history in the background, bounded by
// historyTimeout and stopped with the process (Config.Context).
func (s *API) runHistory(o demohistory.Options) {
	h := s.history
	ctx, cancel := context.WithTimeout(s.cfg.Context, historyTimeout)
	defer cancel()
	start := time.Now()
	sum, err := s.cfg.historyFill(ctx, s.store, o, func(p demohistory.Progress) {
		h.mu.Lock()
		h.job.Cases, h.job.Done = p.Cases, p.Done
		h.mu.Unlock()
	})
	end := s.now().UTC()
	h.mu.Lock()
	defer h.mu.Unlock()
	h.running = false
	j := &h.job
	j.FinishedAt = &end
	if !sum.From.IsZero() {
		from, to := sum.From, sum.To
		j.From, j.To = &from, &to
	}
	j.Cases, j.Created, j.Existing, j.Foreign = sum.Cases, sum.Created, sum.Existing, sum.Foreign
	j.Tasks, j.Feedback, j.Proposals, j.PilotID = sum.Tasks, sum.Feedback, sum.Proposals, sum.PilotID
	j.Flows = nil
	for _, f := range sum.PerFlow {
		j.Flows = append(j.Flows, apiv1.DemoHistoryFlow{Flow: f.Flow, Version: f.Version, Cases: f.Cases})
	}
	switch {
	case err == nil:
		j.Status, j.Done = apiv1.HistoryDone, sum.Cases
		if sum.PilotID != "" {
			s.predictHistoryPilot(ctx, sum.PilotID)
		}
		s.log.Info("demo history filled", slog.Int("days", o.Days), slog.Int("cases", sum.Cases), slog.Int("created", sum.Created),
			slog.Duration("took", time.Since(start)))
	case ctx.Err() != nil:
		j.Status, j.Error = apiv1.HistoryCancelled, "stopped before it finished ("+ctx.Err().Error()+"); run it again with the same seed to finish it"
		s.log.Warn("demo history stopped", slog.String("error", err.Error()))
	default:
		j.Status, j.Error = apiv1.HistoryFailed, err.Error()
		s.log.Error("demo history failed", slog.String("error", err.Error()))
	}
}

func (s *API) getDemoHistory(w http.ResponseWriter, r *http.Request) error {
	if !s.cfg.Dev {
		return notDev()
	}
	h := s.history
	h.mu.Lock()
	job := h.job
	h.mu.Unlock()
	if job.Status == "" {
		job.Status = apiv1.HistoryIdle
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, job)
	return nil
}

// predictHistoryPilot stores the history's pilot's prediction and starts
// it, as a pilot's workflow does when it starts (the history's pilot never
// ran one). A failure is logged: the history stands without it.
func (s *API) predictHistoryPilot(ctx context.Context, pilotID string) {
	pl, err := s.store.GetPilot(ctx, pilotID)
	if err == nil {
		var x store.Simulation
		if x, err = simcal.StorePilotPrediction(ctx, s.store, pl); err == nil && x.Status == store.SimulationRunning {
			err = s.eng.StartSimulation(ctx, x.ID)
		}
	}
	if err != nil {
		s.log.Error("demo history: the pilot's prediction", slog.String("pilot", pilotID), slog.String("error", err.Error()))
	}
}
