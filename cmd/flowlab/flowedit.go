package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
)

// Commands that edit flows: validate (local), publish, versions, default,
// retire and diff (through the API). They are subcommands of "flow".

func addFlowEditCommands(flowCmd *cobra.Command) {
	flowCmd.AddCommand(newFlowValidateCmd(), newFlowPublishCmd(), newFlowVersionsCmd(), newFlowDefaultCmd(),
		newFlowRetireCmd(), newFlowDiffCmd(), newFlowMigrateCmd())
}

// versionCols are the columns of a flow version in tables.
var versionCols = []string{"key", "version", "name", "is_default", "retired", "created_at", "created_by", "hash"}

// versionArg parses a VERSION argument.
func versionArg(s string) (int, error) {
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 {
		return 0, usageError{fmt.Errorf("VERSION must be a version number (1 or more), not %q", s)}
	}
	return v, nil
}

func newFlowPublishCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "publish KEY FILE",
		Short: "Publish a YAML definition as the next version of a flow",
		Long: `publish sends the YAML definition in FILE (- for standard input) to the API
(POST /api/v1/flows/{key}/versions), which validates it and stores it as the
next version of KEY; the definition's version: may be left out. Publishing
content identical to an existing version changes nothing and shows that
version. A new version is not the default: make it one with flow default.
Errors of the definition are listed as LINE:COL: message.`,
		Example: `  flowlab flow validate complaint.v3.yaml && flowlab flow publish complaint complaint.v3.yaml
  flowlab flow publish complaint complaint.v3.yaml -o json | jq .version`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: completeFlowArg(&cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			var src []byte
			if args[1] == "-" {
				src, err = io.ReadAll(cmd.InOrStdin())
			} else {
				src, err = os.ReadFile(args[1])
			}
			if err != nil {
				return fmt.Errorf("read the definition: %w", err)
			}
			var status int
			out, err := c.PublishFlowVersion(cmd.Context(), apiv1.FlowKeyParams{Key: args[0]}, src, apiv1.WithStatus(&status))
			if err != nil {
				return err
			}
			if status == http.StatusOK {
				fmt.Fprintf(cmd.ErrOrStderr(), "unchanged: the content is already version %d of %s\n", out.Version, args[0])
			}
			return renderAnswer(cmd, cf.output, out, versionCols)
		},
	}
	cf.add(cmd)
	return cmd
}

func newFlowVersionsCmd() *cobra.Command {
	var cf clientFlags
	var pf pageFlags
	cmd := &cobra.Command{
		Use:   "versions KEY",
		Short: "List the versions of a flow",
		Long:  `versions lists the versions of a flow, oldest first, with their default and retired flags (GET /api/v1/flows/{key}/versions).`,
		Example: `  flowlab flow versions complaint
  flowlab flow versions complaint -o json | jq '.versions[] | select(.retired | not) | .version'`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeFlowArg(&cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			versions, next, err := fetchPages(cmd.Context(), pf, func(ctx context.Context, cursor string, limit int) ([]apiv1.FlowVersion, string, error) {
				l, err := c.ListFlowVersions(ctx, apiv1.FlowVersionsParams{Key: args[0], Cursor: cursor, Limit: limit})
				if err != nil {
					return nil, "", err
				}
				return l.Versions, l.NextCursor, nil
			})
			if err != nil {
				return err
			}
			return printList(cmd, args, cf.output, apiv1.FlowVersionList{Versions: versions, NextCursor: next}, versions, next, pf.all,
				[]string{"version", "name", "is_default", "retired", "created_at", "created_by"})
		},
	}
	cf.add(cmd)
	pf.add(cmd, "versions")
	return cmd
}

func newFlowDefaultCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "default KEY VERSION",
		Short: "Make a version the one new cases of a flow get",
		Long: `default makes VERSION the default of KEY (PUT /api/v1/flows/{key}/default): new
cases get it, running cases keep theirs. A retired version cannot be the default.`,
		Example:           `  flowlab flow default complaint 3`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: completeFlowArg(&cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := versionArg(args[1])
			if err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.SetFlowDefault(cmd.Context(), apiv1.FlowKeyParams{Key: args[0]}, apiv1.SetDefaultRequest{Version: v})
			if err != nil {
				return err
			}
			return renderAnswer(cmd, cf.output, out, versionCols)
		},
	}
	cf.add(cmd)
	return cmd
}

func newFlowRetireCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "retire KEY VERSION",
		Short: "Stop a flow version from receiving new cases",
		Long: `retire marks VERSION of KEY retired (POST /api/v1/flows/{key}/versions/{v}/retire):
it receives no new cases, and cases running on it finish on it. The default
version cannot be retired; choose another default first.`,
		Example:           `  flowlab flow retire complaint 1`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: completeFlowArg(&cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := versionArg(args[1])
			if err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.RetireFlowVersion(cmd.Context(), apiv1.FlowVersionParams{Key: args[0], V: strconv.Itoa(v)})
			if err != nil {
				return err
			}
			return renderAnswer(cmd, cf.output, out, versionCols)
		},
	}
	cf.add(cmd)
	return cmd
}

func newFlowDiffCmd() *cobra.Command {
	var cf clientFlags
	var from, to int
	cmd := &cobra.Command{
		Use:   "diff KEY --from V --to W",
		Short: "Compare two versions of a flow",
		Long: `diff compares two versions of a flow (GET /api/v1/flows/{key}/diff): steps
added, removed and changed field by field, flow-level changes, and the
department handoffs removed and added. The table output is the API's text
report; json and yaml give the structured answer.`,
		Example: `  flowlab flow diff complaint --from 1 --to 2
  flowlab flow diff complaint --from 1 --to 2 -o json | jq '.handoffs_removed | length'`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeFlowArg(&cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			if from < 1 || to < 1 {
				return usageError{fmt.Errorf("--from and --to are required version numbers (1 or more)")}
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			params := apiv1.FlowDiffParams{Key: args[0], From: from, To: to}
			if cf.output == "table" {
				data, err := c.DiffFlowVersionsText(cmd.Context(), params)
				if err != nil {
					return err
				}
				_, err = cmd.OutOrStdout().Write(data)
				return err
			}
			out, err := c.DiffFlowVersions(cmd.Context(), params)
			if err != nil {
				return err
			}
			return emitAnswer(cmd, cf.output, out, nil)
		},
	}
	cf.add(cmd)
	cmd.Flags().IntVar(&from, "from", 0, "the version compared from (required)")
	cmd.Flags().IntVar(&to, "to", 0, "the version compared to (required)")
	return cmd
}

// fileResult is the validation of one file.
type fileResult struct {
	File        string            `json:"file"`
	Valid       bool              `json:"valid"`
	Diagnostics []flow.Diagnostic `json:"diagnostics"`
}

func newFlowValidateCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check flow definitions locally and report errors like a compiler",
		Long: `validate parses and checks each YAML flow definition on this machine (no
server needed) with the same checks the server runs before publishing, and
prints one line per problem:

  FILE:LINE:COL: error: message (code)
  FILE:LINE:COL: warning: message (code)

It exits 1 when any file has an error, 0 otherwise (warnings do not fail).
FILE - reads standard input. -o json or yaml prints the diagnostics of
every file instead.`,
		Example: `  flowlab flow validate flows/*.yaml
  flowlab flow validate complaint.v3.yaml -o json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !contains(outputFormats, output) {
				return usageError{fmt.Errorf("--output must be table, json or yaml, not %q", output)}
			}
			results := make([]fileResult, 0, len(args))
			files, errs := 0, 0
			for _, path := range args {
				res := validateFile(cmd.InOrStdin(), path)
				results = append(results, res)
				if !res.Valid {
					files++
					errs += len(flow.Diagnostics(res.Diagnostics).Errors())
				}
			}
			if err := emit(cmd, output, map[string]any{"files": results}, func(w io.Writer) error {
				for _, res := range results {
					for _, d := range res.Diagnostics {
						fmt.Fprintln(w, compilerLine(res.File, d))
					}
				}
				return nil
			}); err != nil {
				return err
			}
			if files > 0 {
				return fmt.Errorf("%d %s in %d of %d %s", errs, plural(errs, "error", "errors"), files, len(args), plural(len(args), "file", "files"))
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table (compiler-style lines), json or yaml")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(outputFormats, cobra.ShellCompDirectiveNoFileComp))
	cmd.ValidArgsFunction = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
	}
	return cmd
}

// validateFile loads one file ("-": stdin) with flow.Load.
func validateFile(stdin io.Reader, path string) fileResult {
	var (
		src []byte
		err error
	)
	if path == "-" {
		src, err = io.ReadAll(stdin)
	} else {
		src, err = os.ReadFile(path)
	}
	if err != nil {
		msg := err.Error()
		if pe, ok := err.(*os.PathError); ok {
			msg = pe.Err.Error()
		}
		return fileResult{File: path, Diagnostics: []flow.Diagnostic{{Severity: flow.SeverityError, Code: "unreadable", Message: "cannot read the file: " + msg}}}
	}
	// The same webhook allow-list as the server the flow is published to.
	allow, err := webhookAllow()
	if err != nil {
		return fileResult{File: path, Diagnostics: []flow.Diagnostic{{Severity: flow.SeverityError, Code: "bad-setting", Message: err.Error()}}}
	}
	def, diags := flow.Load(src, flow.ValidateOptions{WebhookAllow: allow})
	if diags == nil {
		diags = flow.Diagnostics{}
	}
	return fileResult{File: path, Valid: def != nil && !diags.HasErrors(), Diagnostics: diags}
}

// compilerLine renders a diagnostic as FILE:LINE:COL: severity: message (code).
func compilerLine(file string, d flow.Diagnostic) string {
	var b strings.Builder
	b.WriteString(file)
	b.WriteString(":")
	switch {
	case d.Line > 0 && d.Column > 0:
		fmt.Fprintf(&b, "%d:%d:", d.Line, d.Column)
	case d.Line > 0:
		fmt.Fprintf(&b, "%d:", d.Line)
	}
	fmt.Fprintf(&b, " %s: %s (%s)", d.Severity, d.Message, d.Code)
	if d.Line == 0 && d.Path != "" {
		fmt.Fprintf(&b, " at %s", d.Path)
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
