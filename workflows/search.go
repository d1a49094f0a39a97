package workflows

import "go.temporal.io/sdk/temporal"

// Typed search attributes of a case. They must be registered on the
// namespace before cases run (SearchAttributes lists them for that); the
// workflow upserts all of them when a run starts and Step, Department and
// CaseStatus as the case moves.
var (
	// SAFlowKey is the flow's key ("complaint").
	SAFlowKey = temporal.NewSearchAttributeKeyKeyword("FlowKey")
	// SAFlowVersion is the flow version the case runs on.
	SAFlowVersion = temporal.NewSearchAttributeKeyInt64("FlowVersion")
	// SAVariant is the pilot arm ("" outside a pilot).
	SAVariant = temporal.NewSearchAttributeKeyKeyword("Variant")
	// SAStep is the id of the step the case is in.
	SAStep = temporal.NewSearchAttributeKeyKeyword("Step")
	// SADepartment is the department of the open task (unset when none).
	SADepartment = temporal.NewSearchAttributeKeyKeyword("Department")
	// SACaseStatus is the case status (StatusActive, StatusCompleted...).
	SACaseStatus = temporal.NewSearchAttributeKeyKeyword("CaseStatus")
)

// SearchAttributes lists every custom search attribute the Case workflow
// uses. Use GetName and GetValueType of each key to register them on a
// namespace (operator service AddSearchAttributes, idempotent).
func SearchAttributes() []temporal.SearchAttributeKey {
	return []temporal.SearchAttributeKey{SAFlowKey, SAFlowVersion, SAVariant, SAStep, SADepartment, SACaseStatus}
}
