package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// maxPages bounds --all.
const maxPages = 100

// pageFlags are --limit, --cursor and --all of a list command.
type pageFlags struct {
	limit  int
	cursor string
	all    bool
}

func (p *pageFlags) add(cmd *cobra.Command, what string) {
	cmd.Flags().IntVar(&p.limit, "limit", 0, "page size, 1–500 (default: the server's, 50)")
	cmd.Flags().StringVar(&p.cursor, "cursor", "", "continue after the page that answered this next_cursor")
	cmd.Flags().BoolVar(&p.all, "all", false, fmt.Sprintf("fetch every page of %s (at most %d pages)", what, maxPages))
	_ = cmd.RegisterFlagCompletionFunc("limit", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("cursor", cobra.NoFileCompletions)
}

func (p *pageFlags) check() error {
	if p.limit != 0 && (p.limit < 1 || p.limit > 500) {
		return usageError{fmt.Errorf("--limit must be from 1 to 500, not %d", p.limit)}
	}
	return nil
}

// fetchPages gets one page of a list, from --cursor on, or with --all
// every page from there on (at most maxPages), by calling page with the
// cursor and --limit. It returns the items and the next_cursor of the last
// page fetched (empty after the last page).
func fetchPages[T any](ctx context.Context, pf pageFlags, page func(ctx context.Context, cursor string, limit int) ([]T, string, error)) ([]T, string, error) {
	cursor := pf.cursor
	all := []T{}
	for n := 1; ; n++ {
		items, next, err := page(ctx, cursor, pf.limit)
		if err != nil {
			return nil, "", err
		}
		all = append(all, items...)
		if !pf.all || next == "" || n == maxPages {
			return all, next, nil
		}
		if next == cursor {
			return nil, "", fmt.Errorf("the server answered the same next_cursor %q twice; stopping", next)
		}
		cursor = next
	}
}

// printList renders a list answer (the API's shape: the items under their
// name and next_cursor); in table mode the items are a table of cols and a
// further page is announced on stderr with the command that fetches it.
func printList(cmd *cobra.Command, args []string, format string, answer, items any, next string, all bool, cols []string) error {
	err := emitAnswer(cmd, format, answer, func(w io.Writer) error { return writeTable(w, items, cols) })
	if err != nil || format != "table" {
		return err
	}
	printNext(cmd, args, next, all)
	return nil
}

// printNext announces a further page on stderr with the command that
// fetches it.
func printNext(cmd *cobra.Command, args []string, next string, all bool) {
	if next == "" {
		return
	}
	if all {
		fmt.Fprintf(cmd.ErrOrStderr(), "stopped after %d pages; more remain\n", maxPages)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "next: %s\n", nextCommand(cmd, args, next))
}

// nextCommand is the command line that fetches the page after next: the
// command with its arguments and the flags given (except --token and
// --cursor), then --cursor next.
func nextCommand(cmd *cobra.Command, args []string, next string) string {
	parts := []string{cmd.CommandPath()}
	for _, a := range args {
		parts = append(parts, shellQuote(a))
	}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		switch f.Name {
		case "token", "cursor":
			return
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				parts = append(parts, "--"+f.Name, shellQuote(v))
			}
			return
		}
		if f.Value.Type() == "bool" {
			parts = append(parts, "--"+f.Name+"="+f.Value.String())
			return
		}
		parts = append(parts, "--"+f.Name, shellQuote(f.Value.String()))
	})
	return strings.Join(append(parts, "--cursor", shellQuote(next)), " ")
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,@%+", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// timeFlag checks an RFC 3339 --from/--to value ("" is no bound).
func timeFlag(name, v string) error {
	if v == "" {
		return nil
	}
	if _, err := time.Parse(time.RFC3339, v); err != nil {
		return usageError{fmt.Errorf("--%s must be an RFC 3339 time like 2026-11-01T00:00:00Z, not %q", name, v)}
	}
	return nil
}

// timeRange checks --from and --to.
func timeRange(from, to string) error {
	if err := timeFlag("from", from); err != nil {
		return err
	}
	if err := timeFlag("to", to); err != nil {
		return err
	}
	if from != "" && to != "" {
		f, _ := time.Parse(time.RFC3339, from)
		t, _ := time.Parse(time.RFC3339, to)
		if !f.Before(t) {
			return usageError{fmt.Errorf("--to (%s) must be after --from (%s)", to, from)}
		}
	}
	return nil
}

// flagTime is a --from or --to value timeRange has checked; "" is the
// zero time (no bound).
func flagTime(v string) time.Time {
	t, _ := time.Parse(time.RFC3339, v)
	return t
}
