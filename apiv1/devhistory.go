package apiv1

import "time"

// DemoHistoryRequest asks a flowlab dev to fill days of simulated history
// (decision 0044).
type DemoHistoryRequest struct {
	Days int   `json:"days" minimum:"1" maximum:"366" description:"Days of history ending now, 1 to 366."`
	Seed int64 `json:"seed,omitempty" minimum:"0" description:"Random seed: the same seed and days give the same history, and a rerun creates nothing twice. Default (0 or absent): 1."`
}

// Demo history job statuses.
const (
	HistoryIdle      = "idle"
	HistoryRunning   = "running"
	HistoryDone      = "done"
	HistoryFailed    = "failed"
	HistoryCancelled = "cancelled"
)

// DemoHistoryFlow is the cases of one flow version in a history.
type DemoHistoryFlow struct {
	Flow    string `json:"flow"`
	Version int    `json:"version"`
	Cases   int    `json:"cases"`
}

// DemoHistoryJob is a history fill: running, or the last one.
type DemoHistoryJob struct {
	Status     string            `json:"status" enum:"idle,running,done,failed,cancelled" description:"idle: no fill has run since the server started."`
	Days       int               `json:"days,omitempty"`
	Seed       int64             `json:"seed,omitempty"`
	From       *time.Time        `json:"from,omitempty" description:"The history's first day (00:00 UTC)."`
	To         *time.Time        `json:"to,omitempty" description:"Its end: every case closed before it."`
	StartedAt  *time.Time        `json:"started_at,omitempty"`
	FinishedAt *time.Time        `json:"finished_at,omitempty"`
	Cases      int               `json:"cases" description:"Cases the history holds (known once the simulation ran)."`
	Done       int               `json:"done" description:"Cases handled so far: written, or found from an earlier fill."`
	Created    int               `json:"created" description:"Cases this fill created."`
	Existing   int               `json:"existing" description:"Cases an earlier fill with the same seed created (left as they are)."`
	Foreign    int               `json:"foreign" description:"Cases whose id or key another case holds (never touched)."`
	Tasks      int               `json:"tasks"`
	Feedback   int               `json:"feedback" description:"Cases with customer feedback."`
	Proposals  int               `json:"proposals" description:"Proposals this fill created."`
	PilotID    string            `json:"pilot_id,omitempty" description:"The finished pilot of complaint v1 against v2 (absent: complaint has a running pilot, or the history is shorter than 28 days)."`
	Flows      []DemoHistoryFlow `json:"flows,omitempty"`
	Error      string            `json:"error,omitempty"`
}
