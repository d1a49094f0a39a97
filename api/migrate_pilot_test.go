package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/store"
)

// TestMigrateLeavesRunningPilotArms: a case assigned to an arm of the
// flow's running pilot is refused, with the reason, in the preview and in
// the real run, and stays on its version; a case outside the pilot moves.
func TestMigrateLeavesRunningPilotArms(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("owner", store.RoleOwner)
	e.Actor("improver", store.RoleImprover)
	before := e.CreateCase("before the pilot")
	pl := e.StartPilot(map[string]any{"flow": "complaint", "treatment": 2, "share": 50, "unit": "case"})
	var inPilot []string
	for i := range 12 {
		c := e.CreateCase(fmt.Sprintf("c%d", i))
		require.Equal(t, pl.ID, c.PilotID)
		if c.Version == 1 {
			inPilot = append(inPilot, c.ID)
		}
	}
	require.NotEmpty(t, inPilot, "some cases in the control arm (v1)")

	for _, dry := range []bool{true, false} {
		m := migrationOf(t, e.Do("owner", http.MethodPost, migrationsPath, map[string]any{"from": 1, "to": 2, "mapping": v1ToV2, "dry_run": dry}, nil))
		byID := map[string]apiv1.MigrationCase{}
		for _, c := range m.Cases {
			byID[c.CaseID] = c
		}
		for _, id := range inPilot {
			c := byID[id]
			require.Equal(t, migrationRefused, c.Status, "dry run %v", dry)
			require.True(t, strings.Contains(c.Reason, "control arm") && strings.Contains(c.Reason, pl.ID), c.Reason)
		}
		want := migrationWouldMigrate
		if !dry {
			want = migrationMigrated
		}
		require.Equal(t, want, byID[before.ID].Status, "a case outside the pilot: %+v", byID[before.ID])
	}
	for _, id := range inPilot {
		c, err := e.st.GetCase(context.Background(), id)
		require.NoError(t, err)
		require.Equal(t, 1, c.Version, "the control arm's case stays on v1")
	}
}
