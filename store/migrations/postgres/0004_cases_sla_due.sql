-- The case-level SLA due time (the flow's sla counted from the start, pushed
-- back by pause_sla waits), written by the workflow. NULL: no case SLA.
ALTER TABLE cases ADD COLUMN sla_due timestamptz;
-- Migrations list the cases of a flow version.
CREATE INDEX cases_flow_version_status_idx ON cases (flow, version, status);
