// Package normalize holds the parameter defaults and encodings both store
// implementations share, so that they behave identically.
package normalize

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/store"
	"github.com/google/uuid"
)

// Limits of the list methods.
const (
	CaseLimitDefault = 50
	CaseLimitMax     = 500
	TaskLimitDefault = 100
	TaskLimitMax     = 1000
	// Pilots and proposals page like cases.
	PilotLimitDefault    = 50
	PilotLimitMax        = 500
	ProposalLimitDefault = 50
	ProposalLimitMax     = 500
	TokenLimitDefault    = 50
	TokenLimitMax        = 500
	// Exported spans come in large pages.
	SpanLimitDefault = 1000
	SpanLimitMax     = 10000
	// Case measures too (the KPIs read every case of a range).
	MeasureLimitDefault = 1000
	MeasureLimitMax     = 10000
)

// Limit returns n bounded to (0, max], def when n <= 0.
func Limit(n, def, max int) int {
	switch {
	case n <= 0:
		return def
	case n > max:
		return max
	}
	return n
}

// Time returns t in UTC, or the current time when t is zero.
func Time(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now().UTC()
	}
	return t.UTC()
}

// TimePtr returns t in UTC, nil stays nil.
func TimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// ID returns id, or a new random UUID when it is empty.
func ID(id string) string {
	if id == "" {
		return uuid.NewString()
	}
	return id
}

// Strings encodes a string list as a JSON array ("[]" for nil).
func Strings(ss []string) []byte {
	if len(ss) == 0 {
		return []byte("[]")
	}
	b, _ := json.Marshal(ss) // a []string always marshals
	return b
}

// ParseStrings decodes a JSON array of strings; empty arrays become nil.
func ParseStrings(b []byte) ([]string, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var ss []string
	if err := json.Unmarshal(b, &ss); err != nil {
		return nil, fmt.Errorf("decode string list: %w", err)
	}
	if len(ss) == 0 {
		return nil, nil
	}
	return ss, nil
}

// StringLists parses the JSON string lists of one page of rows, each
// distinct text once: a page of tasks repeats a handful of role and
// outcome lists. The lists it returns are shared by the rows of the page
// (capacity clipped, so an append copies); nobody may change their
// elements. A nil StringLists parses every list anew.
type StringLists map[string][]string

// Parse is ParseStrings through the page's memo.
func (m StringLists) Parse(b []byte) ([]string, error) {
	if m == nil {
		return ParseStrings(b)
	}
	if ss, ok := m[string(b)]; ok {
		return ss, nil
	}
	ss, err := ParseStrings(b)
	if err != nil {
		return nil, err
	}
	ss = slices.Clip(ss)
	m[string(b)] = ss
	return ss, nil
}

// JSON returns raw, or nil for an empty or JSON null value.
func JSON(raw json.RawMessage) []byte {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return raw
}

// StoredJSON returns raw as it is to be stored verbatim: nil for an empty or
// JSON null value, an error when it is not valid JSON (so that SQLite, which
// stores text, refuses what PostgreSQL's json type does).
func StoredJSON(field string, raw json.RawMessage) ([]byte, error) {
	b := JSON(raw)
	if b != nil && !json.Valid(b) {
		return nil, fmt.Errorf("%s is not valid JSON", field)
	}
	return b, nil
}

// Object returns raw, or "{}" when it is empty.
func Object(raw json.RawMessage) []byte {
	if b := JSON(raw); b != nil {
		return b
	}
	return []byte("{}")
}

// Raw converts stored JSON bytes to a RawMessage (nil stays nil).
func Raw(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	return json.RawMessage(b)
}

// TaskSpan completes the span recorded when task closes: identity, flow,
// step and timing fields the caller left zero are taken from the task, the
// case and sequence always are (a task's span is its step's span), and
// ClaimedAt is the task's first claim time. Breached is set when the span
// completed after its SLA.
func TaskSpan(task store.Task, s store.Span) store.Span {
	s.CaseID = task.CaseID
	s.Seq = task.Seq
	if s.Flow == "" {
		s.Flow = task.Flow
	}
	if s.Version == 0 {
		s.Version = task.Version
	}
	if s.Variant == "" {
		s.Variant = task.Variant
	}
	if s.Step == "" {
		s.Step = task.Step
	}
	if s.Kind == "" {
		s.Kind = "task"
	}
	if s.Department == "" {
		s.Department = task.Department
	}
	if s.EnteredAt.IsZero() {
		s.EnteredAt = task.OpenedAt
	}
	s.ClaimedAt = task.ClaimedAt
	// The assignment of the person who started it: one made after the
	// start (a lead moved a task in work) does not split its waiting.
	s.AssignedAt = nil
	if a := task.AssignedAt; a != nil && (task.ClaimedAt == nil || !a.After(*task.ClaimedAt)) {
		s.AssignedAt = a
	}
	if s.CompletedAt.IsZero() && task.CompletedAt != nil {
		s.CompletedAt = *task.CompletedAt
	}
	if s.Outcome == "" {
		s.Outcome = task.Outcome
	}
	if s.SLADue == nil {
		s.SLADue = task.SLADue
	}
	if s.SLADue != nil && s.CompletedAt.After(*s.SLADue) {
		s.Breached = true
	}
	if s.EscalationLevel < task.EscalationLevel {
		s.EscalationLevel = task.EscalationLevel
	}
	if s.Actor == "" {
		s.Actor = task.CompletedBy
	}
	return Span(s)
}

// Span normalises the times of a span to UTC.
func Span(s store.Span) store.Span {
	s.EnteredAt = s.EnteredAt.UTC()
	s.CompletedAt = s.CompletedAt.UTC()
	s.ClaimedAt = TimePtr(s.ClaimedAt)
	s.AssignedAt = TimePtr(s.AssignedAt)
	s.SLADue = TimePtr(s.SLADue)
	return s
}

// CompleteMiss explains why the conditional update of CompleteTask matched
// no row, given the task as it is now: a repeat of the completion that
// closed it (nil: the caller returns cur, so a retried activity has no
// second effect) or a store.ErrConflict saying why.
func CompleteMiss(cur store.Task, completionID string) error {
	switch {
	case cur.Status == store.TaskCompleted && completionID != "" && cur.CompletionID == completionID:
		return nil
	case cur.Status == store.TaskOpen:
		return fmt.Errorf("task %s is claimed by another actor: %w", cur.ID, store.ErrConflict)
	default:
		return fmt.Errorf("task %s is %s: %w", cur.ID, cur.Status, store.ErrConflict)
	}
}

// RecordsSpan reports whether closing task records a span: every task
// but a follow-up call does. A follow-up call comes after its case closed
// and is no step of the case's process (decision 0041): a span would put
// it into the bottleneck report, the on-time rate and the pilots'
// per-step comparison. The task row keeps its times.
func RecordsSpan(task store.Task) bool { return task.Step != flow.FollowUpStep }

// FollowUp checks the parameters of a follow-up row: a share in (0, 1], a
// sampled case's call task named.
func FollowUp(p store.RecordFollowUpParams) error {
	switch {
	case p.CaseID == "":
		return errors.New("follow-up: no case")
	case !(p.Share > 0 && p.Share <= 1):
		return fmt.Errorf("follow-up of case %s: share %v is not above 0 and at most 1", p.CaseID, p.Share)
	case p.Sampled && p.TaskID == "":
		return fmt.Errorf("follow-up of case %s: a sampled case needs its call task", p.CaseID)
	}
	return nil
}

// FollowUpAnswer checks the answers kept of a call: a known outcome; with
// answered, a known improvement answer and a CSAT of 1–5 or none; with
// unreachable, no answers.
func FollowUpAnswer(p store.AnswerFollowUpParams) error {
	switch p.Outcome {
	case store.FollowUpAnswered:
		if !slices.Contains(flow.ImprovementAnswers, p.Improvement) {
			return fmt.Errorf("follow-up of case %s: improvement %q is not one of %v", p.CaseID, p.Improvement, flow.ImprovementAnswers)
		}
		if p.CSAT != nil && (*p.CSAT < 1 || *p.CSAT > 5) {
			return fmt.Errorf("follow-up of case %s: csat %d is not 1 to 5", p.CaseID, *p.CSAT)
		}
	case store.FollowUpUnreachable:
		if p.Improvement != "" || p.CSAT != nil || p.Comment != "" {
			return fmt.Errorf("follow-up of case %s: an unreachable customer gave no answers", p.CaseID)
		}
	default:
		return fmt.Errorf("follow-up of case %s: unknown outcome %q", p.CaseID, p.Outcome)
	}
	if n := len([]rune(p.Comment)); n > flow.MaxFollowUpComment {
		return fmt.Errorf("follow-up of case %s: comment of %d characters; at most %d", p.CaseID, n, flow.MaxFollowUpComment)
	}
	return nil
}
