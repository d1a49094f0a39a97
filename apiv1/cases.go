package apiv1

// CreateCaseRequest is the body of createCase: the flow, the customer and
// the case's attributes.
type CreateCaseRequest struct {
	Flow       string         `json:"flow" minLength:"1" description:"Flow key; the case gets the flow's default version."`
	Customer   string         `json:"customer" minLength:"1" maxLength:"200" description:"Customer reference."`
	Channel    string         `json:"channel,omitempty" maxLength:"50" description:"Contact channel: one of the server's channels (FLOWLAB_CHANNELS; default phone, chat, wechat, app, email, social); an unknown one is a 422 that lists them."`
	Attributes map[string]any `json:"attributes,omitempty" description:"Case attributes the flow's decision rules read."`
}

// CaseLinks are links to other tools about a case.
type CaseLinks struct {
	TemporalUI string `json:"temporal_ui,omitempty"`
}

// CaseDetail is a case with its tasks, its spans and links (getCase).
type CaseDetail struct {
	Case
	Tasks []Task    `json:"tasks" nullable:"false"`
	Spans []Span    `json:"spans" nullable:"false"`
	Links CaseLinks `json:"links"`
}

// EventRequest is the body of sendCaseEvent: the event a wait step waits
// for, and its data.
type EventRequest struct {
	Name string         `json:"name" minLength:"1" maxLength:"100" description:"The event the case's wait step waits for."`
	Data map[string]any `json:"data,omitempty" description:"Event payload; at most 16 KiB as JSON."`
}
