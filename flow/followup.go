package flow

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// FollowUp asks for a follow-up call on a sample of the flow's completed
// cases (decision 0041): Share of them, chosen by Sampled from the case
// id, get a call task in Department After the case closed, whose form
// records whether the customer perceives the improvement, a CSAT answer
// and a comment.
type FollowUp struct {
	// Share is the fraction of completed cases called back, in (0, 1];
	// written 15% or 0.15.
	Share Share `json:"share" yaml:"share"`
	// After is how long after the case closed the call task opens, in
	// elapsed time (at most MaxFollowUpAfter).
	After Duration `json:"after" yaml:"after"`
	// Department is the department whose inbox gets the call task; one
	// of the flow's departments.
	Department string `json:"department" yaml:"department"`
	// SLA is the time allowed for the call, from the task's opening, in
	// the flow's calendar (0: none).
	SLA Duration `json:"sla,omitempty" yaml:"sla,omitempty"`
	// Assign says how the call task finds its person, as a task step's
	// assign: does (nil: the department's pool).
	Assign *Assign `json:"assign,omitempty" yaml:"assign,omitempty"`
}

// MaxFollowUpAfter bounds FollowUp.After: a case's workflow stays open
// until its follow-up, and a call months later says little about the
// service the customer had.
const MaxFollowUpAfter = 90 * 24 * time.Hour

// MaxFollowUpComment is the most characters (runes) the call's comment
// may hold.
const MaxFollowUpComment = 2000

// FollowUpStep is the step id of a follow-up call task. It is not a valid
// step id (step ids use no hyphen), so it never names a step of a flow:
// the store, the KPIs and the pages tell a call task by it.
const FollowUpStep = "follow-up"

// The outcomes of a follow-up call task.
const (
	FollowUpAnswered    = "answered"    // the customer answered: improvement is required
	FollowUpUnreachable = "unreachable" // nobody could be reached; no answers are kept
)

// The fields of a follow-up call task's form.
const (
	FollowUpImprovementField = "improvement" // enum yes, no, not_sure
	FollowUpCSATField        = "csat"        // number, a whole number 1–5
	FollowUpCommentField     = "comment"     // text, at most MaxFollowUpComment characters
)

// The answers to "does the customer perceive the improvement?".
const (
	ImprovementYes     = "yes"
	ImprovementNo      = "no"
	ImprovementNotSure = "not_sure"
)

// ImprovementAnswers are the answers to the improvement question, in form
// order.
var ImprovementAnswers = []string{ImprovementYes, ImprovementNo, ImprovementNotSure}

// FollowUpStepDef is the task step of a follow-up call: no outcome leads
// anywhere (the case is closed), the form is FollowUpForm. The workflow
// opens it like any task step's task.
func (f *FollowUp) FollowUpStepDef() Step {
	return Step{
		ID:         FollowUpStep,
		Kind:       KindTask,
		Name:       "Follow-up call",
		Department: f.Department,
		SLA:        f.SLA,
		Assign:     f.Assign,
		Outcomes:   []Outcome{{Name: FollowUpAnswered}, {Name: FollowUpUnreachable}},
		Form:       FollowUpForm(),
	}
}

// FollowUpForm is the form of a follow-up call task. No field is required
// by the form itself: with the outcome answered the improvement answer is
// (CheckFollowUpAnswers), with unreachable nothing is.
func FollowUpForm() []Field {
	return []Field{
		{Name: FollowUpImprovementField, Type: "enum", Options: ImprovementAnswers,
			Label: "Does the customer perceive the improvement?"},
		{Name: FollowUpCSATField, Type: "number", Label: "CSAT (1–5)"},
		{Name: FollowUpCommentField, Type: "text", Label: "Comment"},
	}
}

// FollowUpAnswers are the answers a completed follow-up call records.
type FollowUpAnswers struct {
	Improvement string // ImprovementYes, No or NotSure
	CSAT        *int   // 1–5, nil when the customer gave none
	Comment     string
}

// CheckFollowUpAnswers reads the answers of a follow-up call completed
// with outcome from its form data, or says which field is wrong (the
// message starts `field "name"`, as the workflow's form checks do). The
// outcome unreachable keeps no answers (nil, ""). CSAT may be a number or
// its text; it must be a whole number from 1 to 5.
func CheckFollowUpAnswers(outcome string, data map[string]any) (*FollowUpAnswers, string) {
	if outcome != FollowUpAnswered {
		return nil, ""
	}
	a := &FollowUpAnswers{}
	switch v := data[FollowUpImprovementField].(type) {
	case string:
		a.Improvement = v
	case nil:
	default:
		return nil, fmt.Sprintf("field %q must be one of %s", FollowUpImprovementField, strings.Join(ImprovementAnswers, ", "))
	}
	switch {
	case a.Improvement == "":
		return nil, fmt.Sprintf("field %q is required when the customer answered: %s", FollowUpImprovementField, strings.Join(ImprovementAnswers, ", "))
	case !contains(ImprovementAnswers, a.Improvement):
		return nil, fmt.Sprintf("field %q must be one of %s", FollowUpImprovementField, strings.Join(ImprovementAnswers, ", "))
	}
	if raw := data[FollowUpCSATField]; raw != nil && !isBlank(raw) {
		score, ok := number(raw)
		if !ok || score != math.Trunc(score) || score < 1 || score > 5 {
			return nil, fmt.Sprintf("field %q must be a whole number from 1 to 5", FollowUpCSATField)
		}
		n := int(score)
		a.CSAT = &n
	}
	switch v := data[FollowUpCommentField].(type) {
	case nil:
	case string:
		if n := len([]rune(v)); n > MaxFollowUpComment {
			return nil, fmt.Sprintf("field %q is %d characters long; at most %d", FollowUpCommentField, n, MaxFollowUpComment)
		}
		a.Comment = strings.TrimSpace(v)
	default:
		return nil, fmt.Sprintf("field %q must be text", FollowUpCommentField)
	}
	return a, ""
}

// number reads a form value as a number: a JSON number or its text.
func number(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	return 0, false
}

// isBlank reports whether a form value is empty text.
func isBlank(v any) bool {
	s, ok := v.(string)
	return ok && strings.TrimSpace(s) == ""
}

// Sampled reports whether the case with this id is in a follow-up sample
// of share (a fraction; ≤ 0 samples nothing, ≥ 1 everything). It is a pure
// function of its arguments: the first 8 bytes of SHA-256 of
// "follow-up:" and the case id, as an unsigned integer, divided by 2^64 is
// a number in [0, 1) spread evenly over case ids, and the case is sampled
// when that number is below share. So the same case is sampled on every
// replay, on every worker and in every recount, and with a larger share a
// case sampled at a smaller one stays sampled. The prefix keeps the draw
// independent of the pilot arms' hash (decision 0009).
func Sampled(caseID string, share float64) bool {
	return SampleDraw(caseID) < share
}

// SampleDraw is the number in [0, 1) that Sampled compares with the share.
func SampleDraw(caseID string) float64 {
	h := sha256.Sum256([]byte("follow-up:" + caseID))
	// The top 53 bits: every value is a float64 exactly, below 1.
	return float64(binary.BigEndian.Uint64(h[:8])>>11) / (1 << 53)
}

// Share is a fraction of cases, written as a percentage ("15%") or as a
// fraction (0.15). It marshals as a JSON number (the fraction) and as a
// YAML percentage.
type Share float64

// ParseShare reads "15%", "12.5 %" or "0.15". It does not check the range
// (Validate does): "15" reads as 15 (1500 %).
func ParseShare(s string) (Share, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	if pct {
		t = strings.TrimSpace(strings.TrimSuffix(t, "%"))
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("invalid share %q: write a percentage like 15%% or a fraction like 0.15", s)
	}
	if pct {
		f /= 100
	}
	return Share(f), nil
}

// String renders the share as the shortest percentage that reads back as
// the same fraction ("15%", "12.5%").
func (s Share) String() string {
	f := float64(s)
	for prec := 1; prec <= 17; prec++ {
		txt := strconv.FormatFloat(f*100, 'g', prec, 64)
		if back, err := ParseShare(txt + "%"); err == nil && back == s && !strings.ContainsAny(txt, "e") {
			return txt + "%"
		}
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// MarshalYAML writes the share as its percentage.
func (s Share) MarshalYAML() (any, error) { return s.String(), nil }

// UnmarshalJSON accepts a number (the fraction) or a string ParseShare
// reads.
func (s *Share) UnmarshalJSON(b []byte) error {
	var txt string
	if err := json.Unmarshal(b, &txt); err == nil {
		v, err := ParseShare(txt)
		if err != nil {
			return err
		}
		*s = v
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("share must be a number like 0.15 or a string like \"15%%\": %w", err)
	}
	*s = Share(f)
	return nil
}
