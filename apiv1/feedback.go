package apiv1

import "time"

// FeedbackRequest is the body of putCaseFeedback: what the customer said;
// a value left out is recorded as not given.
type FeedbackRequest struct {
	CSAT                 *int  `json:"csat,omitempty" minimum:"1" maximum:"5" description:"Customer satisfaction, 1 (very unhappy) to 5 (very happy)."`
	NPS                  *int  `json:"nps,omitempty" minimum:"0" maximum:"10" description:"Likelihood to recommend, 0 to 10."`
	ResolvedFirstContact *bool `json:"resolved_first_contact,omitempty" description:"The customer says the problem was solved at the first contact."`
}

// Feedback is a case's customer feedback (putCaseFeedback,
// getCaseFeedback); a value the customer did not give is null.
type Feedback struct {
	CaseID               string    `json:"case_id"`
	CSAT                 *int      `json:"csat"`
	NPS                  *int      `json:"nps"`
	ResolvedFirstContact *bool     `json:"resolved_first_contact"`
	CreatedBy            string    `json:"created_by"`
	CreatedAt            time.Time `json:"created_at"`
	UpdatedAt            time.Time `json:"updated_at"`
}

// ReopenRequest is the body of reopenCase.
type ReopenRequest struct {
	Reason string `json:"reason,omitempty" maxLength:"500" description:"Why the customer came back."`
}
