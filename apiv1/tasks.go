package apiv1

// AssignRequest is the body of assignTask.
type AssignRequest struct {
	Actor string `json:"actor" minLength:"1" description:"The id of the actor who gets the task; they must work in the task's department."`
}

// CompleteRequest is the body of completeTask: the outcome and the
// step's form fields.
type CompleteRequest struct {
	Outcome string         `json:"outcome" minLength:"1" description:"One of the task's outcomes."`
	Data    map[string]any `json:"data,omitempty" description:"The step's form fields."`
}

// CompleteResponse is the answer of completeTask: the completed task,
// the case's status and its open tasks.
type CompleteResponse struct {
	Task       Task   `json:"task"`
	CaseStatus string `json:"case_status"`
	Next       []Task `json:"next" nullable:"false"`
}
