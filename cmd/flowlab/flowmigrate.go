package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
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
			body := map[string]any{"from": from, "to": to, "mapping": mapping}
			if dryRun {
				body["dry_run"] = true
			}
			var out map[string]any
			if err := c.do(cmd.Context(), http.MethodPost, apiPath("flows", args[0], "migrations"), body, nil, &out); err != nil {
				return err
			}
			if err := emit(cmd, cf.output, out, func(w io.Writer) error { return writeMigration(w, out) }); err != nil {
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
func writeMigration(w io.Writer, out map[string]any) error {
	cases := asList(out["cases"])
	if len(cases) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CASE\tSTEP\t\tTO STEP\tSTATUS\tREASON")
		for _, c := range cases {
			fmt.Fprintf(tw, "%s\t%s\t→\t%s\t%s\t%s\n", cell(c["case_id"]), cell(c["step"]), cell(c["to_step"]), cell(c["status"]), cell(c["reason"]))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, migrationSummary(out))
	return err
}

// migrationSummary is the report's one-line summary.
func migrationSummary(out map[string]any) string {
	var b strings.Builder
	dry, _ := out["dry_run"].(bool)
	if dry {
		b.WriteString("dry run: ")
	}
	fmt.Fprintf(&b, "%s v%s → v%s: ", cell(out["flow"]), cell(out["from"]), cell(out["to"]))
	n := len(asList(out["cases"]))
	if n == 0 {
		b.WriteString("no active cases on v" + cell(out["from"]))
	} else {
		if dry {
			fmt.Fprintf(&b, "%s of %d %s would migrate", cell(out["would_migrate"]), n, plural(n, "case", "cases"))
		} else {
			fmt.Fprintf(&b, "%s of %d %s migrated", cell(out["migrated"]), n, plural(n, "case", "cases"))
		}
		b.WriteString(", " + cell(out["refused"]) + " refused")
		if f, _ := out["failed"].(float64); f > 0 {
			b.WriteString(", " + cell(out["failed"]) + " failed")
		}
	}
	if t, _ := out["truncated"].(bool); t {
		b.WriteString("; more active cases remain, run it again")
	}
	if dry {
		b.WriteString("; nothing changed")
	} else {
		b.WriteString(" (migration " + cell(out["migration_id"]) + ")")
	}
	return b.String()
}

// migrationOutcome is the command's error (exit 1) when not every case
// was migrated, or would be.
func migrationOutcome(out map[string]any) error {
	refused, _ := out["refused"].(float64)
	failed, _ := out["failed"].(float64)
	truncated, _ := out["truncated"].(bool)
	n := len(asList(out["cases"]))
	var problems []string
	if refused > 0 {
		problems = append(problems, fmt.Sprintf("%s of %d %s refused", cell(refused), n, plural(n, "case", "cases")))
	}
	if failed > 0 {
		problems = append(problems, fmt.Sprintf("%s failed", cell(failed)))
	}
	if truncated {
		problems = append(problems, "more active cases remain")
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("migration incomplete: %s", strings.Join(problems, ", "))
}
