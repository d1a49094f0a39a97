package apiv1

import "time"

// Availability of a person.
const (
	Available = "available"
	Away      = "away"
	Offline   = "offline"
)

// Person is an actor as assignment sees them: availability, capacity,
// skills, load and where their notifications go (decisions 0035, 0036).
type Person struct {
	ID                string     `json:"id"`
	Name              string     `json:"name"`
	Role              string     `json:"role" enum:"admin,owner,staff,improver"`
	Departments       []string   `json:"departments" nullable:"false"`
	Leads             []string   `json:"leads" nullable:"false" description:"The departments they are the team lead of."`
	Availability      string     `json:"availability" enum:"available,away,offline" description:"Only available people are given tasks by a rule."`
	AvailabilitySince *time.Time `json:"availability_since" description:"When their availability was last changed (null: never set)."`
	Capacity          int        `json:"capacity" description:"The most open tasks a rule gives them at once."`
	Load              int        `json:"load" description:"Open tasks they hold now (assigned or claimed)."`
	Skills            []string   `json:"skills" nullable:"false"`
	Email             string     `json:"email" description:"Where email notifications go (empty: none)."`
	WebhookURL        string     `json:"webhook_url" description:"A chat tool's incoming webhook for their notifications; shown to themselves and admins only."`
	NotifyBy          []string   `json:"notify_by" nullable:"false" description:"Channels beyond the app: email, webhook."`
	LastAssignedAt    *time.Time `json:"last_assigned_at" description:"When a rule last gave them a task."`
}

// PersonList is the answer of listPeople.
type PersonList struct {
	People     []Person `json:"people" nullable:"false"`
	NextCursor string   `json:"next_cursor,omitempty"`
}

// ListPeopleParams are the query parameters of listPeople.
type ListPeopleParams struct {
	Department string `query:"department" description:"Only the people of this department (required unless you are an owner or admin)."`
	Limit      int    `query:"limit" minimum:"1" maximum:"500" default:"50" description:"Items per page."`
	Cursor     string `query:"cursor" description:"next_cursor of the previous page."`
}

// PersonIDParams name a person: an actor id, or me.
type PersonIDParams struct {
	ID string `path:"id" description:"Actor id, or me for the caller." example:"me"`
}

// CreatePersonRequest creates a person without a token (to give them
// tokens later, or to let them sign in through the identity provider by
// their email).
type CreatePersonRequest struct {
	Name        string   `json:"name" minLength:"1" maxLength:"200"`
	Email       string   `json:"email,omitempty"`
	Role        string   `json:"role" enum:"admin,owner,staff,improver"`
	Departments []string `json:"departments,omitempty"`
	Leads       []string `json:"leads,omitempty"`
}

// UpdatePersonRequest changes the fields given of a person.
type UpdatePersonRequest struct {
	// Who they are and where they work (admins): their id, history,
	// tokens and statistics stay theirs.
	Name         *string   `json:"name,omitempty" maxLength:"200"`
	Role         *string   `json:"role,omitempty" enum:"admin,owner,staff,improver"`
	Departments  *[]string `json:"departments,omitempty"`
	Leads        *[]string `json:"leads,omitempty"`
	Availability *string   `json:"availability,omitempty" enum:"available,away,offline"`
	Capacity     *int      `json:"capacity,omitempty" minimum:"0" maximum:"1000"`
	Skills       *[]string `json:"skills,omitempty"`
	Email        *string   `json:"email,omitempty"`
	WebhookURL   *string   `json:"webhook_url,omitempty"`
	NotifyBy     *[]string `json:"notify_by,omitempty"`
}

// UpdatePersonResponse is the person after the change, the tasks they
// gave back by going away, and the tasks the change let a rule assign.
type UpdatePersonResponse struct {
	Person   Person `json:"person"`
	Released []Task `json:"released" nullable:"false" description:"Tasks assigned to them and not started, given back because they became away or offline."`
	Assigned []Task `json:"assigned" nullable:"false" description:"Waiting tasks a rule gave to someone after the change (to them when they became available or gained capacity, to others for what they gave back)."`
}

// WorkParams are the query parameters of getWork.
type WorkParams struct {
	Department string    `query:"department" description:"The department (required unless you are an owner or admin: then every department)."`
	From       time.Time `query:"from" description:"Tasks opened at or after this time (RFC 3339); default 7 days before to."`
	To         time.Time `query:"to" description:"Tasks opened before this time (RFC 3339); default now. At most 92 days after from."`
}

// DurationStats summarise durations in seconds.
type DurationStats struct {
	N   int     `json:"n" description:"Tasks measured."`
	P50 float64 `json:"p50_seconds"`
	P90 float64 `json:"p90_seconds"`
}

// WorkRow is the assignment measures of one person (or of the whole
// department when actor is empty).
type WorkRow struct {
	Department    string        `json:"department"`
	Actor         string        `json:"actor" description:"Actor id; empty for the department's total."`
	Name          string        `json:"name"`
	Opened        int           `json:"opened" description:"Tasks opened in the window (theirs: that they hold or completed)."`
	Completed     int           `json:"completed"`
	Open          int           `json:"open"`
	Reassignments int           `json:"reassignments"`
	WaitAssign    DurationStats `json:"waiting_for_assignment" description:"Opened → assigned by a rule or a lead, or pulled from the pool."`
	WaitStart     DurationStats `json:"assigned_waiting_to_start" description:"Assigned → started (claimed)."`
	Handle        DurationStats `json:"handle" description:"Started → completed."`
	TasksPerHour  float64       `json:"tasks_per_hour" description:"Completed tasks over the window's hours."`
}

// Work is the answer of getWork.
type Work struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	Rows []WorkRow `json:"rows" nullable:"false" description:"Per department: its total first, then each person by id."`
}

// Notification is a message to a person.
type Notification struct {
	ID        string     `json:"id"`
	Kind      string     `json:"kind" enum:"task.assigned,task.reassigned,task.escalated,alert.firing,alert.resolved" description:"alert.firing and alert.resolved tell of an alert rule (link: its page; no task)."`
	Title     string     `json:"title"`
	Text      string     `json:"text" description:"What happened, naming the case, the step, the SLA and who."`
	Link      string     `json:"link" description:"The task's page in the web UI (a path)."`
	TaskID    string     `json:"task_id"`
	CaseID    string     `json:"case_id"`
	Step      string     `json:"step"`
	StepName  string     `json:"step_name"`
	SLADue    *time.Time `json:"sla_due"`
	Level     int        `json:"level" description:"The escalation level (task.escalated)."`
	From      string     `json:"from,omitempty" description:"Actor id of who held the task before (task.reassigned)."`
	By        string     `json:"by,omitempty" description:"Actor id of who moved the task: the team lead (task.reassigned by a lead)."`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at"`
	Delivery  string     `json:"delivery" enum:"pending,done,failed" description:"Delivery by email and webhook."`
}

// NotificationList is the answer of listNotifications.
type NotificationList struct {
	Notifications []Notification `json:"notifications" nullable:"false"`
	Unread        int            `json:"unread" description:"The caller's unread notifications in all."`
	NextCursor    string         `json:"next_cursor,omitempty"`
}

// ListNotificationsParams are the query parameters of listNotifications.
type ListNotificationsParams struct {
	Unread bool   `query:"unread" description:"Only those not read."`
	Limit  int    `query:"limit" minimum:"1" maximum:"500" description:"Page size (default 50)."`
	Cursor string `query:"cursor" description:"next_cursor of the previous page."`
}

// ReadNotificationsRequest marks notifications read.
type ReadNotificationsRequest struct {
	IDs []string `json:"ids,omitempty" maxItems:"500" description:"The notifications to mark read; absent: all of the caller's."`
}

// ReadNotificationsResponse says how many changed and how many are left.
type ReadNotificationsResponse struct {
	Read   int `json:"read"`
	Unread int `json:"unread"`
}

// UnreadCount is the caller's number of unread notifications.
type UnreadCount struct {
	Unread int `json:"unread"`
}
