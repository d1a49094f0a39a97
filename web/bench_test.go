package web

import (
	"io"
	"testing"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/stretchr/testify/require"
)

// BenchmarkUIInboxRows renders a full inbox page's rows (50 tasks), the
// work of every inbox view and of its refresh every 10 s:
//
//	go test ./web -run '^$' -bench UIInboxRows
func BenchmarkUIInboxRows(b *testing.B) {
	ui, err := loadUITemplates()
	require.NoError(b, err)
	due := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	page := inboxPage{Self: "/ui/inbox", Refresh: "/ui/inbox"}
	for i := range 50 {
		t := apiv1.Task{ID: "0b7f6f1e-8c1d-4a51-9d7e-3c2b1a0f9e8d", CaseID: "5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716",
			Flow: "complaint", Version: 1, Step: "record", StepName: "Record the complaint", Department: "customer_service",
			OpenedAt: due.Add(-time.Hour), SLADue: &due, EscalationLevel: i % 3}
		if i%3 == 0 {
			t.Assignee = "3d4f0c2e-8a1b-4c6d-9e7f-5a2b1c3d4e5f"
		}
		page.Rows = append(page.Rows, newInboxRow(t, "Ana", t.Assignee == "", false))
	}
	d := pageData{Page: page}
	tpl := ui.pages["inbox"]
	require.NoError(b, tpl.ExecuteTemplate(io.Discard, "rows", d))
	b.ReportAllocs()
	for b.Loop() {
		_ = tpl.ExecuteTemplate(io.Discard, "rows", d)
	}
}
