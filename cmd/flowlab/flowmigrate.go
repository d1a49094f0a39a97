package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/flowlab/flowlab/apiv1"
)

// flow migrate: move the running cases of one flow version onto another
// (POST /api/v1/flows/{key}/migrations).

func newFlowMigrateCmd() *cobra.Command {
	var cf clientFlags
	var from, to int
	var maps []string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "migrate KEY --from V --to W --map OLD=NEW... [--dry-run]",
		Short: "Move the running cases of a flow version onto another version",
		Long: `migrate moves every active case of version --from of KEY onto version --to
(POST /api/v1/flows/{key}/migrations). Each --map OLD=NEW says where a case
waiting at step OLD of --from continues on --to: its open task is closed as
cancelled (outcome "migrated") and step NEW is entered fresh. A case at an
unmapped step, between steps, or no longer running is refused and left as it
is. --dry-run reports what would happen and changes nothing.

The table has one row per case (newest first) and a summary line. The exit
code is 0 when every case was migrated (or would be, with --dry-run), 1 when
some were refused or failed, or more cases remain than one run handles
(run it again), and 3 or 4 when the API refused or failed the request.`,
		Example: `  flowlab flow migrate complaint --from 1 --to 2 --map record=submit --map investigate=handle --dry-run
  flowlab flow migrate complaint --from 1 --to 2 --map record=submit --map investigate=handle
  flowlab flow migrate complaint --from 1 --to 2 --map record=submit -o json | jq -r '.cases[] | select(.status == "refused") | .case_id'`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeFlowArg(&cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			if from < 1 || to < 1 {
				return usageError{fmt.Errorf("--from and --to are required version numbers (1 or more)")}
			}
			if from == to {
				return usageError{fmt.Errorf("--from and --to must differ (both are %d)", from)}
			}
			mapping, err := stepMapping(maps)
			if err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.MigrateFlowCases(cmd.Context(), apiv1.FlowKeyParams{Key: args[0]},
				apiv1.MigrateRequest{From: from, To: to, Mapping: mapping, DryRun: dryRun})
			if err != nil {
				return err
			}
			if err := emitAnswer(cmd, cf.output, out, func(w io.Writer) error { return writeMigration(w, out) }); err != nil {
				return err
			}
			return migrationOutcome(out)
		},
	}
	cf.add(cmd)
	cmd.Flags().IntVar(&from, "from", 0, "the version the cases run now (required)")
	cmd.Flags().IntVar(&to, "to", 0, "the version to move them to (required)")
	cmd.Flags().StringArrayVar(&maps, "map", nil, "OLD=NEW: a case waiting at step OLD of --from continues at step NEW of --to (repeatable, at least one)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "report what would happen; change nothing")
	for _, f := range []string{"from", "to", "map"} {
		_ = cmd.RegisterFlagCompletionFunc(f, cobra.NoFileCompletions)
	}
	return cmd
}

// stepMapping parses the --map OLD=NEW flags.
func stepMapping(pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, usageError{fmt.Errorf("--map OLD=NEW is required (at least one step)")}
	}
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		old, next, ok := strings.Cut(p, "=")
		old, next = strings.TrimSpace(old), strings.TrimSpace(next)
		if !ok || old == "" || next == "" {
			return nil, usageError{fmt.Errorf("--map %q: expected OLD=NEW (step ids of --from and --to)", p)}
		}
		if prev, dup := m[old]; dup && prev != next {
			return nil, usageError{fmt.Errorf("--map: step %q is mapped twice (to %q and %q)", old, prev, next)}
		}
		m[old] = next
	}
	return m, nil
}

// writeMigration prints one row per case and a summary line.
func writeMigration(w io.Writer, out *apiv1.Migration) error {
	if len(out.Cases) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CASE\tSTEP\t\tTO STEP\tSTATUS\tREASON")
		for _, c := range out.Cases {
			fmt.Fprintf(tw, "%s\t%s\t→\t%s\t%s\t%s\n", cell(c.CaseID), cell(c.Step), cell(c.ToStep), cell(c.Status), cell(c.Reason))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, migrationSummary(out))
	return err
}

// migrationSummary is the report's one-line summary.
func migrationSummary(out *apiv1.Migration) string {
	var b strings.Builder
	dry := out.DryRun
	if dry {
		b.WriteString("dry run: ")
	}
	fmt.Fprintf(&b, "%s v%d → v%d: ", cell(out.Flow), out.From, out.To)
	n := len(out.Cases)
	if n == 0 {
		fmt.Fprintf(&b, "no active cases on v%d", out.From)
	} else {
		if dry {
			fmt.Fprintf(&b, "%d of %d %s would migrate", out.WouldMigrate, n, plural(n, "case", "cases"))
		} else {
			fmt.Fprintf(&b, "%d of %d %s migrated", out.Migrated, n, plural(n, "case", "cases"))
		}
		fmt.Fprintf(&b, ", %d refused", out.Refused)
		if out.Failed > 0 {
			fmt.Fprintf(&b, ", %d failed", out.Failed)
		}
	}
	if out.Truncated {
		b.WriteString("; more active cases remain, run it again")
	}
	if dry {
		b.WriteString("; nothing changed")
	} else {
		b.WriteString(" (migration " + cell(out.MigrationID) + ")")
	}
	return b.String()
}

// migrationOutcome is the command's error (exit 1) when not every case
// was migrated, or would be.
func migrationOutcome(out *apiv1.Migration) error {
	n := len(out.Cases)
	var problems []string
	if out.Refused > 0 {
		problems = append(problems, fmt.Sprintf("%d of %d %s refused", out.Refused, n, plural(n, "case", "cases")))
	}
	if out.Failed > 0 {
		problems = append(problems, fmt.Sprintf("%d failed", out.Failed))
	}
	if out.Truncated {
		problems = append(problems, "more active cases remain")
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("migration incomplete: %s", strings.Join(problems, ", "))
}
