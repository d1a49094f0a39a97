package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/migrations"
	"github.com/flowlab/flowlab/store/sqlite"
)

// TestMigrationKeepsPeoplesHistory: a store with data from before people
// (schema version 15: actors, their tokens, a task claimed and one
// completed, their audit entries) migrated to the latest schema: every
// actor is a person with the defaults, found by each of their tokens,
// with their tasks and audit entries; they can be changed and keep it all
// (issue 20, decision 0039).
func TestMigrationKeepsPeoplesHistory(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "flowlab.db")
	db, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	ms, err := migrations.Load(migrations.SQLite)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`)
	require.NoError(t, err)
	for _, m := range ms {
		if m.Version > 15 {
			break
		}
		_, err := db.ExecContext(ctx, m.SQL)
		require.NoError(t, err, m.Name)
		_, err = db.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, ?, 0)`, m.Version, m.Name)
		require.NoError(t, err)
	}
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC).UnixNano()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO actors (id, name, role, departments, leads, created_at) VALUES ('ana', 'Ana', 'staff', '["customer_service"]', '[]', ?)`, []any{t0}},
		{`INSERT INTO actors (id, name, role, departments, leads, created_at) VALUES ('tom', 'Tom', 'staff', '["technical"]', '[]', ?)`, []any{t0}},
		{`INSERT INTO tokens (id, actor_id, hash, created_at) VALUES ('tk-ana-1', 'ana', X'01', ?), ('tk-ana-2', 'ana', X'02', ?), ('tk-tom', 'tom', X'03', ?)`, []any{t0, t0, t0}},
		{`INSERT INTO cases (id, flow, version, status, created_at, updated_at) VALUES ('c1', 'complaint', 1, 'active', ?, ?)`, []any{t0, t0}},
		{`INSERT INTO tasks (id, case_id, seq, flow, version, step, department, status, assignee, opened_at, claimed_at, completed_at, completed_by)
			VALUES ('t1', 'c1', 1, 'complaint', 1, 'record', 'customer_service', 'completed', 'ana', ?, ?, ?, 'ana'),
			       ('t2', 'c1', 2, 'complaint', 1, 'review', 'customer_service', 'open', 'ana', ?, ?, NULL, '')`, []any{t0, t0, t0, t0, t0}},
		{`INSERT INTO audit (at, actor, action, object, case_id) VALUES (?, 'ana', 'task.complete', 'task:t1', 'c1'), (?, 'ana', 'task.claim', 'task:t2', 'c1')`, []any{t0, t0}},
	} {
		_, err := db.ExecContext(ctx, q.sql, q.args...)
		require.NoError(t, err, q.sql)
	}
	require.NoError(t, db.Close())

	s, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Migrate(ctx))

	for _, h := range [][]byte{{1}, {2}} {
		a, err := s.ActorByTokenHash(ctx, h, time.Now())
		require.NoError(t, err)
		require.Equal(t, "ana", a.ID, "both tokens are Ana")
	}
	ana, err := s.GetPerson(ctx, "ana")
	require.NoError(t, err)
	require.Equal(t, []any{"Ana", store.Available, store.DefaultCapacity, 1}, []any{ana.Name, ana.Availability, ana.Capacity, ana.Load},
		"a person with the defaults, holding her open task")
	people, err := s.ListPeople(ctx, store.ListPeopleParams{})
	require.NoError(t, err)
	require.Len(t, people, 2)
	tokens, err := s.ListTokens(ctx, store.ListTokensParams{ActorID: "ana"})
	require.NoError(t, err)
	require.Len(t, tokens, 2)
	done, err := s.ListTasks(ctx, store.ListTasksParams{Assignee: "ana", Status: store.TaskCompleted})
	require.NoError(t, err)
	require.Len(t, done, 1)
	require.Equal(t, "ana", done[0].CompletedBy)
	audit, err := s.ListAudit(ctx, store.AuditFilter{Actor: "ana"})
	require.NoError(t, err)
	require.Len(t, audit, 2)

	// Moved to the technical department: the same person, her open task
	// in customer service back in its pool, her history kept.
	a, released, err := s.UpdateActor(ctx, store.UpdateActorParams{ID: "ana", Departments: &[]string{"technical"}})
	require.NoError(t, err)
	require.Equal(t, []string{"technical"}, a.Departments)
	require.Len(t, released, 1)
	require.Equal(t, "t2", released[0].ID)
	audit, err = s.ListAudit(ctx, store.AuditFilter{Actor: "ana"})
	require.NoError(t, err)
	require.Len(t, audit, 2)
	done, err = s.ListTasks(ctx, store.ListTasksParams{Assignee: "ana", Status: store.TaskCompleted})
	require.NoError(t, err)
	require.Len(t, done, 1)
}
