package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/flowlab/flowlab/flow"
)

// Commands that edit flows: validate (local), publish, versions, default,
// retire and diff (through the API). They are subcommands of "flow".

func addFlowEditCommands(flowCmd *cobra.Command) {
	flowCmd.AddCommand(newFlowValidateCmd())
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
	def, diags := flow.Load(src, flow.ValidateOptions{})
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
