// Package notify delivers people's notifications beyond the app (decision
// 0037): the store keeps each notification with its delivery state, an
// outbox written in the same transaction as the assignment it tells of;
// the Dispatcher reads the due ones, renders them (Render) and sends them
// by the channels each person chose, email (an SMTP server, SMTPMailer)
// and a chat tool's incoming webhook (under the egress rules of decision
// 0021), and records the outcome, retrying with backoff.
package notify

import (
	"bytes"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/flowlab/flowlab/readable"
	"github.com/flowlab/flowlab/store"
)

// Info is what a message tells beyond the notification itself.
type Info struct {
	// BaseURL is the public base of links to the web UI, such as
	// https://flowlab.example.com ("" gives links relative to the site).
	BaseURL string
	// Now is the time the SLA is told against ("due in", "overdue by").
	Now time.Time
	// Recipient is the name of the person the message goes to ("" none).
	Recipient string
	// Names are people's names by actor id, for who had a task and who
	// moved it; an id without a name is written as it is.
	Names map[string]string
	// Version is the version of the task's flow (0: not known).
	Version int
}

// Message is a notification written for people.
type Message struct {
	// Subject is one line, such as "Task assigned to you: Diagnose the
	// fault — case 6f1c…".
	Subject string
	// Summary is one line for a chat message: the subject, the SLA and
	// the link.
	Summary string
	// Text is the plain-text body, HTML the same as simple HTML.
	Text string
	HTML string
	// Link is the absolute URL of the task's page in the web UI.
	Link string
}

// SLA times are written in UTC to the minute, e.g. "2026-12-06 14:00 UTC".
const slaLayout = "2006-01-02 15:04 UTC"

// Render writes n for people: every message names the case, the step (its
// name and key), the flow, the SLA's due time in UTC and how far it is
// from in.Now, and links to the task's page.
func Render(n store.Notification, in Info) Message {
	if n.Kind == store.NotifyAlertFiring || n.Kind == store.NotifyAlertResolved {
		return renderAlert(n, in)
	}
	d := n.Details
	step := oneLine(d.StepName)
	if step == "" {
		step = readable.Name(oneLine(d.Step))
	}
	if step == "" {
		step = "a task"
	}
	caseID := oneLine(n.CaseID)
	m := Message{Link: TaskLink(in.BaseURL, n.TaskID)}

	var lead string
	switch n.Kind {
	case store.NotifyAssigned:
		m.Subject = fmt.Sprintf("Task assigned to you: %s — case %s", step, caseID)
		lead = "A task was assigned to you"
		if d.Rule != "" {
			lead += " by the " + ruleName(d.Rule) + " rule"
		}
		lead += "."
	case store.NotifyReassigned:
		m.Subject = fmt.Sprintf("Task reassigned to you: %s — case %s", step, caseID)
		lead = reassignedLead(d, in)
	case store.NotifyEscalated:
		m.Subject = fmt.Sprintf("Task escalated to level %d: %s — case %s", d.Level, step, caseID)
		lead = fmt.Sprintf("The task reached escalation level %d", d.Level)
		if t := oneLine(d.Target); t != "" {
			lead += fmt.Sprintf(", which notifies %s", t)
		}
		lead += "."
	default:
		m.Subject = fmt.Sprintf("Task update (%s): %s — case %s", oneLine(n.Kind), step, caseID)
		lead = "There is news about a task of yours."
	}

	sla := slaText(d.SLADue, in.Now)
	rows := [][2]string{
		{"Task", fmt.Sprintf("%s (step key %s)", step, orDash(oneLine(d.Step)))},
		{"Case", caseID},
		{"Flow", flowText(oneLine(d.Flow), in.Version)},
	}
	if d.Department != "" {
		rows = append(rows, [2]string{"Department", fmt.Sprintf("%s (%s)", readable.Name(oneLine(d.Department)), oneLine(d.Department))})
	}
	rows = append(rows, [2]string{"SLA", sla})
	if d.Level > 0 {
		rows = append(rows, [2]string{"Escalation", fmt.Sprintf("level %d", d.Level)})
	}
	if n.Kind == store.NotifyEscalated && d.Target != "" {
		rows = append(rows, [2]string{"Notifies", oneLine(d.Target)})
	}

	m.Summary = fmt.Sprintf("%s — SLA: %s — %s", m.Subject, sla, m.Link)

	var b strings.Builder
	if r := oneLine(in.Recipient); r != "" {
		fmt.Fprintf(&b, "Hello %s,\n\n", r)
	}
	b.WriteString(lead + "\n\n")
	width := 0
	for _, r := range rows {
		width = max(width, len(r[0])+1)
	}
	for _, r := range rows {
		fmt.Fprintf(&b, "  %-*s %s\n", width, r[0]+":", r[1])
	}
	fmt.Fprintf(&b, "\nOpen the task: %s\n\n-- \nflowlab: this notification is in the app too.\n", m.Link)
	m.Text = b.String()

	var h bytes.Buffer
	if err := htmlBody.Execute(&h, struct {
		Recipient, Lead, Link, LinkText string
		Rows                            [][2]string
	}{oneLine(in.Recipient), lead, m.Link, "Open the task", rows}); err == nil {
		m.HTML = h.String()
	}
	return m
}

// AlertLink is the absolute URL of an alert rule's page.
func AlertLink(base, ruleID string) string {
	return strings.TrimRight(base, "/") + "/ui/alerts/" + url.PathEscape(ruleID)
}

// renderAlert writes an alert rule's firing or resolving (decision 0040):
// the rule, what it watches and where, the value and why, and the link to
// its page.
func renderAlert(n store.Notification, in Info) Message {
	d := n.Details
	name := oneLine(d.AlertName)
	if name == "" {
		name = "an alert rule"
	}
	m := Message{Link: AlertLink(in.BaseURL, d.Alert)}
	lead := fmt.Sprintf("The alert rule %q fired: its condition holds.", name)
	m.Subject = "Alert firing: " + name
	if n.Kind == store.NotifyAlertResolved {
		lead = fmt.Sprintf("The alert rule %q resolved: its condition no longer holds.", name)
		m.Subject = "Alert resolved: " + name
	}
	scope := "all flows"
	if d.Scope != nil {
		scope = d.Scope.String()
	}
	rows := [][2]string{
		{"Rule", name},
		{"Metric", orDash(oneLine(d.Metric))},
		{"Scope", oneLine(scope)},
		{"Why", orDash(oneLine(d.Message))},
		{"At", n.CreatedAt.UTC().Format(slaLayout)},
	}
	m.Summary = fmt.Sprintf("%s — %s — %s", m.Subject, orDash(oneLine(d.Message)), m.Link)
	var b strings.Builder
	if r := oneLine(in.Recipient); r != "" {
		fmt.Fprintf(&b, "Hello %s,\n\n", r)
	}
	b.WriteString(lead + "\n\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "  %-8s %s\n", r[0]+":", r[1])
	}
	fmt.Fprintf(&b, "\nOpen the rule: %s\n\n-- \nflowlab: this notification is in the app too.\n", m.Link)
	m.Text = b.String()
	var h bytes.Buffer
	if err := htmlBody.Execute(&h, struct {
		Recipient, Lead, Link, LinkText string
		Rows                            [][2]string
	}{oneLine(in.Recipient), lead, m.Link, "Open the rule", rows}); err == nil {
		m.HTML = h.String()
	}
	return m
}

// TaskLink is the absolute URL of a task's page: base (the public URL of
// the web UI, without a trailing slash or with one) + /ui/tasks/<id>.
func TaskLink(base, taskID string) string {
	return strings.TrimRight(base, "/") + "/ui/tasks/" + url.PathEscape(taskID)
}

// reassignedLead says who had the task and who moved it.
func reassignedLead(d store.NotificationDetails, in Info) string {
	from, by := nameOf(d.From, in.Names), nameOf(d.By, in.Names)
	switch {
	case by != "" && from != "":
		return fmt.Sprintf("%s moved this task to you from %s.", by, from)
	case by != "":
		return fmt.Sprintf("%s gave this task to you.", by)
	case d.Rule == store.AssignTeamLead:
		s := fmt.Sprintf("The task was escalated to level %d and given to you as the team lead", d.Level)
		if d.Department != "" {
			s += " of " + readable.Name(oneLine(d.Department))
		}
		if from != "" {
			s += fmt.Sprintf("; %s had it before", from)
		}
		return s + "."
	case from != "":
		return fmt.Sprintf("This task was reassigned to you; %s had it before.", from)
	default:
		return "This task was reassigned to you."
	}
}

// slaText is the due time in UTC and how far it is from now, or "no SLA".
func slaText(due *time.Time, now time.Time) string {
	if due == nil || due.IsZero() {
		return "no SLA"
	}
	at := due.UTC().Format(slaLayout)
	left := due.Sub(now).Round(time.Second)
	switch {
	case left > 0:
		return fmt.Sprintf("due %s (due in %s)", at, readable.Duration(left.Seconds()))
	case left < 0:
		return fmt.Sprintf("due %s (overdue by %s)", at, readable.Duration(-left.Seconds()))
	default:
		return fmt.Sprintf("due %s (due now)", at)
	}
}

func flowText(flow string, version int) string {
	switch {
	case flow == "":
		return readable.Dash
	case version > 0:
		return fmt.Sprintf("%s, version %d", flow, version)
	default:
		return flow
	}
}

// ruleName is an assignment rule as a sentence says it: "least loaded".
func ruleName(rule string) string {
	return strings.ReplaceAll(strings.ReplaceAll(oneLine(rule), "_", " "), "-", " ")
}

func nameOf(id string, names map[string]string) string {
	if id == "" {
		return ""
	}
	if n := oneLine(names[id]); n != "" {
		return n
	}
	return oneLine(id)
}

func orDash(s string) string {
	if s == "" {
		return readable.Dash
	}
	return s
}

// oneLine keeps a value that goes into a subject or a line on one line:
// control characters (line breaks among them) become spaces.
func oneLine(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s))
}

var htmlBody = template.Must(template.New("body").Parse(`<!doctype html>
<html><body style="font-family: sans-serif; font-size: 14px; color: #1f2328">
{{if .Recipient}}<p>Hello {{.Recipient}},</p>
{{end}}<p>{{.Lead}}</p>
<table style="border-collapse: collapse">
{{range .Rows}}<tr><th style="text-align: left; padding: 2px 12px 2px 0; font-weight: 600">{{index . 0}}</th><td style="padding: 2px 0">{{index . 1}}</td></tr>
{{end}}</table>
<p><a href="{{.Link}}">{{.LinkText}}</a></p>
<p style="color: #59636e; font-size: 12px">flowlab: this notification is in the app too.</p>
</body></html>
`))
