package apiv1

// MigrateRequest is the body of migrateFlowCases: the versions and where
// each step's cases continue.
type MigrateRequest struct {
	From    int               `json:"from" minimum:"1" description:"The version the cases run now."`
	To      int               `json:"to" minimum:"1" description:"The version they move to; it must exist and not be retired."`
	Mapping map[string]string `json:"mapping" minProperties:"1" nullable:"false" description:"For each step id of version from a case may wait at, the step id of version to it continues at. A case at an unmapped step is refused (and left alone)."`
	DryRun  bool              `json:"dry_run,omitempty" description:"Report what a real run would do, change nothing and write no audit."`
}

// MigrationCase is one case of a migration report.
type MigrationCase struct {
	CaseID     string `json:"case_id"`
	WorkflowID string `json:"workflow_id"`
	Step       string `json:"step" description:"The step of version from the case waits at (empty when unknown)."`
	ToStep     string `json:"to_step" description:"The step of version to the mapping names for step (where the case continues, or would); empty when the step is not mapped."`
	Status     string `json:"status" enum:"migrated,refused,would_migrate,failed" description:"migrated: moved onto version to; would_migrate: a real run would try it (dry run); refused: left unchanged, see reason; failed: the workflow failed the migration (see the server log)."`
	Reason     string `json:"reason,omitempty" description:"Why the case was refused or failed."`
	Next       []Task `json:"next" nullable:"false" description:"The case's open tasks after the migration (as the complete route returns them); empty otherwise."`
}

// Migration is the report of migrateFlowCases: what happened, or would,
// to each active case of version From.
type Migration struct {
	MigrationID  string          `json:"migration_id" description:"Identifies this migration in the audit trail; each case's migrate Update ID is <migration_id>:<case id>."`
	Flow         string          `json:"flow"`
	From         int             `json:"from"`
	To           int             `json:"to"`
	DryRun       bool            `json:"dry_run"`
	Migrated     int             `json:"migrated"`
	Refused      int             `json:"refused"`
	WouldMigrate int             `json:"would_migrate"`
	Failed       int             `json:"failed"`
	Truncated    bool            `json:"truncated" description:"More active cases of version from exist than one request handles (the server's limit, 10000 by default); run the migration again for the rest."`
	Cases        []MigrationCase `json:"cases" nullable:"false" description:"One entry per active case of version from, newest first."`
}
