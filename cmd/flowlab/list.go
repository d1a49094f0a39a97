package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"
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

// listPage is one list answer: {"<items>": [...], "next_cursor": ...}.
type listPage struct {
	raw   map[string]any
	items []any
	next  string
}

func decodePage(v any, items string) listPage {
	p := listPage{}
	switch t := v.(type) {
	case map[string]any:
		p.raw = t
		p.items, _ = t[items].([]any)
		p.next, _ = t["next_cursor"].(string)
	case []any: // an older server answering a bare list
		p.raw = map[string]any{items: t}
		p.items = t
	}
	if p.items == nil {
		p.items = []any{}
	}
	return p
}

// fetchList gets one page of path with q, or with all every page from
// there on (at most maxPages). The answer keeps the API's shape: the items
// under their name and, when maxPages were fetched and more remain,
// next_cursor (absent after the last page).
func fetchList(ctx context.Context, c *apiClient, path string, q url.Values, items string, pf pageFlags) (map[string]any, string, error) {
	q = cloneValues(q)
	if pf.limit > 0 {
		q.Set("limit", strconv.Itoa(pf.limit))
	}
	if pf.cursor != "" {
		q.Set("cursor", pf.cursor)
	}
	var all []any
	var last listPage
	for page := 1; ; page++ {
		var v any
		if err := c.get(ctx, path, q, &v); err != nil {
			return nil, "", err
		}
		last = decodePage(v, items)
		if !pf.all {
			return last.raw, last.next, nil
		}
		all = append(all, last.items...)
		if last.next == "" || page == maxPages {
			break
		}
		if last.next == q.Get("cursor") {
			return nil, "", fmt.Errorf("the server answered the same next_cursor %q twice; stopping", last.next)
		}
		q.Set("cursor", last.next)
	}
	if all == nil {
		all = []any{}
	}
	out := map[string]any{items: all}
	if last.next != "" {
		out["next_cursor"] = last.next
	}
	return out, last.next, nil
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		if len(v) > 0 && v[0] != "" {
			out[k] = append([]string(nil), v...)
		}
	}
	return out
}

// printList renders a list answer; in table mode a further page is
// announced on stderr with the command that fetches it.
func printList(cmd *cobra.Command, args []string, format string, answer map[string]any, items, next string, all bool, cols []string) error {
	list, _ := answer[items].([]any)
	err := emit(cmd, format, answer, func(w io.Writer) error { return writeTable(w, list, cols) })
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
