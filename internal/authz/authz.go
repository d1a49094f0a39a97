// Package authz is who may do what: the role lists of the API's routes and
// the web UI's pages, and the rules that look at an actor's departments
// (decisions 0011 and 0023). The API's route table, its handlers and the
// web UI's pages and menus all read them from here, so a rule is written
// once: the UI offers what the API would allow, and the API decides.
//
// The rules take an actor's role, departments and led departments as
// plain values, so the API (which holds store actors) and the web UI
// (which holds apiv1 actors) ask the same functions.
package authz

import (
	"slices"

	"github.com/flowlab/flowlab/apiv1"
)

// Role lists. A route or page with one of them lets only those roles in;
// one without lets every signed-in actor in (per-object rules may still
// refuse).
var (
	// Everyone is every role.
	Everyone = []string{apiv1.RoleAdmin, apiv1.RoleOwner, apiv1.RoleStaff, apiv1.RoleImprover}
	// Admins manage tokens and read the audit trail.
	Admins = []string{apiv1.RoleAdmin}
	// CaseSettlers cancel a case, and restart or close a failed one.
	CaseSettlers = []string{apiv1.RoleAdmin, apiv1.RoleOwner}
	// CaseReopeners reopen a closed case for its customer.
	CaseReopeners = []string{apiv1.RoleAdmin, apiv1.RoleOwner, apiv1.RoleStaff}
	// FlowEditors publish flow versions, set the default, retire versions
	// and migrate waiting cases.
	FlowEditors = []string{apiv1.RoleAdmin, apiv1.RoleOwner}
	// FlowViewers read flows, their bottlenecks and trends, and pilots.
	FlowViewers = []string{apiv1.RoleAdmin, apiv1.RoleOwner, apiv1.RoleImprover}
	// PilotRunners start, evaluate, stop and promote pilots.
	PilotRunners = []string{apiv1.RoleAdmin, apiv1.RoleImprover}
	// ProposalDeciders adopt or decline improvement proposals.
	ProposalDeciders = []string{apiv1.RoleAdmin, apiv1.RoleImprover}
	// LogImporters import (and preview) event logs, and LogViewers read
	// them and their discovery views: an export of the helpdesk holds
	// every customer's history, so staff may not (issue 17).
	LogImporters = []string{apiv1.RoleAdmin, apiv1.RoleOwner, apiv1.RoleImprover}
	LogViewers   = []string{apiv1.RoleAdmin, apiv1.RoleOwner, apiv1.RoleImprover}
	// AlertEditors create, change and delete KPI alert rules (decision
	// 0040); they and the team leads of a rule's department acknowledge
	// and silence it.
	AlertEditors = []string{apiv1.RoleAdmin, apiv1.RoleOwner, apiv1.RoleImprover}
	// LogKeepers rename and delete event logs.
	LogKeepers = []string{apiv1.RoleAdmin, apiv1.RoleOwner}
)

// Allowed reports whether role is in roles; an empty list allows every
// role.
func Allowed(roles []string, role string) bool {
	return len(roles) == 0 || slices.Contains(roles, role)
}

// ImprovementDepartment is the department the improvement cycles' tasks go
// to (the built-in PDCA flow's only department).
const ImprovementDepartment = "improvement"

// roleDepartments are the departments a role works in by being that role,
// on top of the ones its token names: the improvement team works the PDCA
// cycles' tasks (decision 0024). Admins work everywhere anyway.
var roleDepartments = map[string][]string{
	apiv1.RoleImprover: {ImprovementDepartment},
}

// WithRoleDepartments is departments plus those role implies. Every
// request's actor comes through it (API tokens, UI sessions, the admin
// token), so every check that reads departments (inboxes, claim, release,
// complete, the workflow's own check) follows from this one place.
func WithRoleDepartments(role string, departments []string) []string {
	implied := roleDepartments[role]
	if len(implied) == 0 {
		return departments
	}
	deps := slices.Clone(departments)
	for _, d := range implied {
		if !slices.Contains(deps, d) {
			deps = append(deps, d)
		}
	}
	return deps
}

// DepartmentBound reports whether a role's inbox is limited to its
// departments: staff and improvers list only their departments' tasks
// (they read any case's tasks through the case); owners and admins see
// every department's.
func DepartmentBound(role string) bool {
	return role == apiv1.RoleStaff || role == apiv1.RoleImprover
}

// InDepartment reports whether an actor may act in department: admins
// everywhere, everyone else only in their own departments.
func InDepartment(role string, departments []string, department string) bool {
	return role == apiv1.RoleAdmin || slices.Contains(departments, department)
}

// Leads reports whether an actor is the team lead of department (a lead
// may release or reassign the department's claimed tasks): admins lead
// everywhere; anyone else must lead it and work in it.
func Leads(role string, departments, leads []string, department string) bool {
	return role == apiv1.RoleAdmin || (slices.Contains(leads, department) && slices.Contains(departments, department))
}

// SeesTeam reports whether an actor sees a department's team page: its
// open tasks with who holds them, its people with their availability and
// load, and its assignment measures. Owners and admins see every
// department's, a team lead the departments they lead (the API's rule for
// listing people and reading the measures).
func SeesTeam(role string, departments, leads []string, department string) bool {
	return ServesEveryCase(role) || Leads(role, departments, leads, department)
}

// LeadsAny reports whether an actor sees some team page: owners and
// admins, and team leads of a department they work in. Their menu shows
// the team page.
func LeadsAny(role string, departments, leads []string) bool {
	if ServesEveryCase(role) {
		return true
	}
	for _, d := range leads {
		if Leads(role, departments, leads, d) {
			return true
		}
	}
	return false
}

// SeesArms reports whether a role is shown which pilot arm a case is in:
// staff are not, so that knowing the arm does not change how they work the
// case (decision 0024).
func SeesArms(role string) bool { return role != apiv1.RoleStaff }

// ServesEveryCase reports whether a role serves every case: admins, and
// owners, who answer for the flows (decision 0023).
func ServesEveryCase(role string) bool {
	return role == apiv1.RoleAdmin || role == apiv1.RoleOwner
}

// ServesCase reports whether an actor serves a case whose departments are
// caseDepartments (those its flow version lists and those any of its tasks
// was in): every case for ServesEveryCase's roles, else a case one of
// departments serves. Only those who serve a case post its feedback and
// events and reopen it (decision 0023).
func ServesCase(role string, departments, caseDepartments []string) bool {
	if ServesEveryCase(role) {
		return true
	}
	for _, d := range departments {
		if slices.Contains(caseDepartments, d) {
			return true
		}
	}
	return false
}
