package api

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/flows"
	"github.com/flowlab/flowlab/internal/authz"
)

// TestImprovementDepartmentIsThePDCAFlows: the department the improver
// role implies is the one the built-in PDCA flow hands all its tasks to.
func TestImprovementDepartmentIsThePDCAFlows(t *testing.T) {
	t.Parallel()
	for _, b := range flows.All() {
		if b.Key != apiv1.PDCAFlow {
			continue
		}
		def, diags := flow.Parse(b.Source)
		require.False(t, diags.HasErrors(), "%v", diags)
		require.Equal(t, []string{authz.ImprovementDepartment}, def.Departments)
		return
	}
	t.Fatalf("no built-in %s flow", apiv1.PDCAFlow)
}
