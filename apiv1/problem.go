package apiv1

import "strings"

// Problem is an RFC 9457 problem document: every refusal and failure of the
// API is one (application/problem+json). Errors lists field-level
// validation failures; RequestID lets an operator find the log line.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Instance  string       `json:"instance,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
	Errors    []FieldError `json:"errors,omitempty"`

	// RetryAfter is the answer's Retry-After in seconds (429 and 503), 0
	// when it had none. It travels in the header, not the document.
	RetryAfter int `json:"-"`
}

// FieldError names one invalid input and why.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the problem's title and detail: what was refused and why.
func (p *Problem) Error() string {
	if p.Detail == "" {
		return p.Title
	}
	return p.Title + ": " + p.Detail
}

// ProblemBase prefixes the type URI of every problem document; the rest
// is the problem's slug ("not-found", "validation", ...).
const ProblemBase = "https://flowlab.dev/problems/"

// Slug is the last part of the problem's type URI ("not-found").
func (p *Problem) Slug() string { return strings.TrimPrefix(p.Type, ProblemBase) }
