package apiv1

import (
	"encoding/json"
	"time"

	"github.com/flowlab/flowlab/flow"
)

// Case is a service case: one Temporal workflow running a version of a
// flow for a customer.
type Case struct {
	ID         string          `json:"id"`
	Flow       string          `json:"flow"`
	Version    int             `json:"version"`
	Variant    string          `json:"variant"`
	Customer   string          `json:"customer"`
	Channel    string          `json:"channel"`
	Attributes json.RawMessage `json:"attributes"`
	Status     string          `json:"status" enum:"starting,active,completed,cancelled,failed"`
	Step       string          `json:"step" description:"Current step id; empty when the case is closed."`
	WorkflowID string          `json:"workflow_id" description:"Temporal workflow id: <flow key>-<case id>."`
	CreatedBy  string          `json:"created_by"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
	ClosedAt   *time.Time      `json:"closed_at"`
	SLADue     *time.Time      `json:"sla_due,omitempty" description:"When the case-level SLA falls due (the flow's sla from the start, pushed back by pause_sla waits); absent when the flow has none."`
	PilotID    string          `json:"pilot_id" description:"The pilot the case was assigned in (its variant is then the arm, control or treatment); empty when none."`
	// Reopening: ReopenedFrom on the new case, ReopenedAt on the old.
	ReopenedFrom string     `json:"reopened_from" description:"The closed case this case reopens; empty when none."`
	ReopenedAt   *time.Time `json:"reopened_at" description:"When a later case reopened this one; null when never."`
	Failure      string     `json:"failure,omitempty" description:"Why flowlab last marked the case failed (its workflow ended unexpectedly: terminated, timed out, failed); absent when it never did. Owners and admins restart or close a failed case."`
	Restarts     int        `json:"restarts,omitempty" description:"How often the case was restarted after a failure; absent when never."`
}

// Task is a human task of a case's step in a department's inbox.
type Task struct {
	ID              string          `json:"id"`
	CaseID          string          `json:"case_id"`
	Seq             int             `json:"seq"`
	Flow            string          `json:"flow"`
	Version         int             `json:"version"`
	Variant         string          `json:"variant"`
	Step            string          `json:"step"`
	StepName        string          `json:"step_name"`
	Department      string          `json:"department"`
	Roles           []string        `json:"roles" nullable:"false"`
	Outcomes        []string        `json:"outcomes" nullable:"false"`
	Form            []flow.Field    `json:"form" nullable:"false" description:"The fields the completion's data must carry."`
	Status          string          `json:"status" enum:"open,completed,cancelled"`
	Assignee        string          `json:"assignee" description:"Actor id; empty when unclaimed."`
	EscalationLevel int             `json:"escalation_level"`
	OpenedAt        time.Time       `json:"opened_at"`
	ClaimedAt       *time.Time      `json:"claimed_at"`
	CompletedAt     *time.Time      `json:"completed_at"`
	SLADue          *time.Time      `json:"sla_due"`
	Outcome         string          `json:"outcome"`
	Data            json.RawMessage `json:"data"`
	CompletedBy     string          `json:"completed_by"`
	// Assignment (decisions 0035, 0036).
	AssignedAt    *time.Time `json:"assigned_at" description:"When a rule or a team lead gave the task to its assignee (null when pulled from the pool or not held)."`
	AssignRule    string     `json:"assign_rule" description:"What gave the task to its assignee: a rule of the flow (round_robin, least_loaded, skills, sticky), manual (a team lead), team_lead (an escalation); empty when pulled from the pool."`
	OfferDue      *time.Time `json:"offer_due" description:"When the task goes back to the pool if its assignee has not started it (accept_within); null without a limit or once started."`
	Reassignments int        `json:"reassignments" description:"Times the task moved from one holder to another."`
	// The case's customer and channel, in task lists (GET /tasks) only.
	Customer string `json:"customer,omitempty" description:"The case's customer (task lists only)."`
	Channel  string `json:"channel,omitempty" description:"The case's contact channel (task lists only; absent when the case has none)."`
}

// Span is one step a case went through, with its waiting and working
// time.
type Span struct {
	Seq             int        `json:"seq"`
	Step            string     `json:"step"`
	Kind            string     `json:"kind"`
	Department      string     `json:"department"`
	EnteredAt       time.Time  `json:"entered_at"`
	ClaimedAt       *time.Time `json:"claimed_at"`
	CompletedAt     time.Time  `json:"completed_at"`
	Outcome         string     `json:"outcome"`
	SLADue          *time.Time `json:"sla_due"`
	Breached        bool       `json:"breached"`
	EscalationLevel int        `json:"escalation_level"`
	Actor           string     `json:"actor"`
	WaitSeconds     float64    `json:"wait_seconds"`
	WorkSeconds     float64    `json:"work_seconds"`
	// Business time: the same intervals counted in the step's calendar
	// (equal to the elapsed figures when the step has none).
	BusinessWaitSeconds float64 `json:"business_wait_seconds" description:"wait_seconds counted in the step's business calendar (working hours, holidays); equal to wait_seconds without a calendar."`
	BusinessWorkSeconds float64 `json:"business_work_seconds" description:"work_seconds counted in the step's business calendar."`
}
