package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/flowlab/flowlab/apiv1"
)

var auditCols = []string{"id", "at", "actor", "action", "object", "case_id", "request_id", "details"}

// newAuditCmd is flowlab audit: the audit trail, for admins.
func newAuditCmd() *cobra.Command {
	var cf clientFlags
	var pf pageFlags
	var actor, action, object, caseID, from, to string
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read the audit trail: who changed what, when (admins)",
		Long: `audit lists the audit trail newest first (GET /api/v1/audit; admins only):
every change made through the API, and those the workflows make on their
own, with the actor, the action (task.complete, flow.publish, token.revoke...),
the object (kind:id), its case, the time, the request id the API answered
the change with (quote it to find the server's log lines; "-" for changes
the workflows made) and what changed. Filter by --actor (an actor id; admin
is the admin token), --action, --object, --case, and [--from, --to).`,
		Example: `  flowlab audit --case 6f1c2b9e-4d0a-4c55-9a51-2f7e0c1d8a33
  flowlab audit --action token.create --from 2026-11-01T00:00:00Z
  flowlab audit --actor admin --all -o json | jq -r '.entries[] | [.at, .action, .object] | @tsv'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			if err := timeRange(from, to); err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			params := apiv1.ListAuditParams{Actor: actor, Action: action, Object: object, CaseID: caseID, From: flagTime(from), To: flagTime(to)}
			entries, next, err := fetchPages(cmd.Context(), pf, func(ctx context.Context, cursor string, limit int) ([]apiv1.AuditEntry, string, error) {
				params.Cursor, params.Limit = cursor, limit
				l, err := c.ListAudit(ctx, params)
				if err != nil {
					return nil, "", err
				}
				return l.Entries, l.NextCursor, nil
			})
			if err != nil {
				return err
			}
			return printList(cmd, args, cf.output, apiv1.AuditList{Entries: entries, NextCursor: next}, entries, next, pf.all, auditCols)
		},
	}
	cmd.GroupID = "client"
	cf.add(cmd)
	pf.add(cmd, "entries")
	cmd.Flags().StringVar(&actor, "actor", "", "only changes by this actor id (admin: the admin token)")
	cmd.Flags().StringVar(&action, "action", "", "only this action, e.g. task.complete, flow.publish, token.revoke")
	cmd.Flags().StringVar(&object, "object", "", "only changes to this object, kind:id (task:ID, case:ID, flow:KEY@VERSION, token:ID...)")
	cmd.Flags().StringVar(&caseID, "case", "", "only changes to this case and its tasks")
	cmd.Flags().StringVar(&from, "from", "", "only changes at or after this RFC 3339 time")
	cmd.Flags().StringVar(&to, "to", "", "only changes before this RFC 3339 time")
	_ = cmd.RegisterFlagCompletionFunc("case", completeCases(&cf))
	for _, f := range []string{"actor", "action", "object", "from", "to"} {
		_ = cmd.RegisterFlagCompletionFunc(f, cobra.NoFileCompletions)
	}
	return cmd
}
