package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/flowlab/flowlab/dotlayout"
)

// newGraphLayoutCmd is the hidden command a graph layout child runs as
// (decision 0019): DOT on stdin, SVG on stdout. The server starts it as
// this binary with dotlayout.ChildEnv set, which dotlayout's init
// handles before main; the command makes the same job reachable by hand
// ("flowlab graph-layout < g.dot > g.svg").
func newGraphLayoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:    dotlayout.ChildArg,
		Short:  "Lay out Graphviz DOT from stdin as SVG on stdout (the server's layout child)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if code := dotlayout.Child(cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()); code != 0 {
				os.Exit(code)
			}
			return nil
		},
	}
}
