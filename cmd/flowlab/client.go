package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// apiError is a problem+json answer (or a transport failure, Status 0).
type apiError struct {
	Status int
	Title  string
	Detail string
}

func (e *apiError) Error() string {
	if e.Status == 0 {
		return e.Detail
	}
	if e.Detail != "" {
		return fmt.Sprintf("%d %s: %s", e.Status, e.Title, e.Detail)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Title)
}

// apiClient calls the flowlab HTTP API.
type apiClient struct {
	base  string
	token string
	http  *http.Client
}

type clientFlags struct {
	server string
	token  string
	output string
}

func (f *clientFlags) add(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.server, "server", envOr("FLOWLAB_SERVER", "http://127.0.0.1:8080"), "flowlab API base URL (env FLOWLAB_SERVER)")
	cmd.PersistentFlags().StringVar(&f.token, "token", envOr("FLOWLAB_TOKEN", ""), "API token (env FLOWLAB_TOKEN; default: the dev admin token in .flowlab/admin-token)")
	cmd.PersistentFlags().StringVarP(&f.output, "output", "o", "table", "output format: table or json")
}

func (f *clientFlags) client() (*apiClient, error) {
	if f.output != "table" && f.output != "json" {
		return nil, usageError{fmt.Errorf("--output must be table or json, not %q", f.output)}
	}
	tok := f.token
	if tok == "" {
		b, err := os.ReadFile(filepath.Join(envOr("FLOWLAB_DATA", ".flowlab"), adminTokenFile))
		if err == nil {
			tok = strings.TrimSpace(string(b))
		}
	}
	if tok == "" {
		return nil, usageError{errors.New("no token: pass --token or set FLOWLAB_TOKEN")}
	}
	return &apiClient{base: strings.TrimRight(f.server, "/"), token: tok, http: &http.Client{Timeout: 60 * time.Second}}, nil
}

// do sends a request and decodes the JSON answer into out (when non-nil).
func (c *apiClient) do(ctx context.Context, method, path string, body any, headers map[string]string, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return usageError{fmt.Errorf("bad server URL %q: %w", c.base, err)}
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return &apiError{Detail: fmt.Sprintf("cannot reach %s: %v", c.base, err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return &apiError{Status: resp.StatusCode, Detail: "reading the answer: " + err.Error()}
	}
	if resp.StatusCode >= 400 {
		var p struct {
			Title  string `json:"title"`
			Detail string `json:"detail"`
		}
		_ = json.Unmarshal(data, &p)
		if p.Title == "" {
			p.Title = http.StatusText(resp.StatusCode)
		}
		return &apiError{Status: resp.StatusCode, Title: p.Title, Detail: p.Detail}
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return &apiError{Status: resp.StatusCode, Detail: "the server's answer is not JSON: " + err.Error()}
		}
	}
	return nil
}

// keyValues parses k=v pairs; values that parse as JSON (numbers, true,
// false, quoted strings, objects) keep their type, others are strings.
func keyValues(pairs []string) (map[string]any, error) {
	m := map[string]any{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, usageError{fmt.Errorf("%q: expected key=value", p)}
		}
		var j any
		if err := json.Unmarshal([]byte(v), &j); err == nil {
			m[k] = j
		} else {
			m[k] = v
		}
	}
	return m, nil
}

func addClientCommands(root *cobra.Command) {
	var cf clientFlags
	group := []*cobra.Command{}

	// start
	{
		var flowKey, customer, channel, idem string
		var attrs []string
		cmd := &cobra.Command{
			Use:     "start",
			Short:   "Start a case",
			Example: `  flowlab start --flow complaint --customer C-1001 --channel phone --attr severity=primary`,
			Args:    cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				c, err := cf.client()
				if err != nil {
					return err
				}
				a, err := keyValues(attrs)
				if err != nil {
					return err
				}
				h := map[string]string{}
				if idem != "" {
					h["Idempotency-Key"] = idem
				}
				var out map[string]any
				body := map[string]any{"flow": flowKey, "customer": customer, "channel": channel, "attributes": a}
				if err := c.do(cmd.Context(), http.MethodPost, "/api/v1/cases", body, h, &out); err != nil {
					return err
				}
				return render(cmd, cf.output, out, []string{"id", "flow", "version", "variant", "status"})
			},
		}
		cmd.Flags().StringVar(&flowKey, "flow", "complaint", "flow key")
		cmd.Flags().StringVar(&customer, "customer", "", "customer id")
		cmd.Flags().StringVar(&channel, "channel", "phone", "channel: phone, chat, wechat, app, email, social")
		cmd.Flags().StringArrayVar(&attrs, "attr", nil, "case attribute key=value (repeatable)")
		cmd.Flags().StringVar(&idem, "idempotency-key", "", "Idempotency-Key header: retrying with it never starts a second case")
		group = append(group, cmd)
	}
	// case
	group = append(group, &cobra.Command{
		Use:   "case ID",
		Short: "Show a case: status, open tasks, spans",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			var out map[string]any
			if err := c.do(cmd.Context(), http.MethodGet, "/api/v1/cases/"+url.PathEscape(args[0]), nil, nil, &out); err != nil {
				return err
			}
			if cf.output == "json" {
				return render(cmd, "json", out, nil)
			}
			if err := render(cmd, "table", out, []string{"id", "flow", "version", "variant", "status", "step"}); err != nil {
				return err
			}
			for _, sec := range []struct {
				key  string
				cols []string
			}{{"tasks", []string{"id", "step", "department", "status", "assignee", "sla_due"}}, {"spans", []string{"seq", "step", "department", "outcome", "wait_seconds", "work_seconds", "breached"}}} {
				if rows, ok := out[sec.key].([]any); ok {
					fmt.Fprintf(cmd.OutOrStdout(), "\n%s:\n", sec.key)
					if err := render(cmd, "table", rows, sec.cols); err != nil {
						return err
					}
				}
			}
			return nil
		},
	})
	// cancel
	group = append(group, &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a case (closes its open tasks)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			var out map[string]any
			if err := c.do(cmd.Context(), http.MethodPost, "/api/v1/cases/"+url.PathEscape(args[0])+"/cancel", map[string]any{}, nil, &out); err != nil {
				return err
			}
			return render(cmd, cf.output, out, []string{"id", "status"})
		},
	})
	// tasks
	{
		var dept, status, assignee, caseID string
		var limit int
		cmd := &cobra.Command{
			Use:     "tasks",
			Short:   "List tasks, ordered by SLA due time",
			Example: `  flowlab tasks --department technical`,
			Args:    cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				c, err := cf.client()
				if err != nil {
					return err
				}
				q := url.Values{}
				for k, v := range map[string]string{"department": dept, "status": status, "assignee": assignee, "case_id": caseID} {
					if v != "" {
						q.Set(k, v)
					}
				}
				if limit > 0 {
					q.Set("limit", strconv.Itoa(limit))
				}
				var out any
				path := "/api/v1/tasks"
				if len(q) > 0 {
					path += "?" + q.Encode()
				}
				if err := c.do(cmd.Context(), http.MethodGet, path, nil, nil, &out); err != nil {
					return err
				}
				return render(cmd, cf.output, listOf(out, "tasks"), []string{"id", "case_id", "step", "department", "status", "assignee", "escalation_level", "sla_due"})
			},
		}
		cmd.Flags().StringVar(&dept, "department", "", "department")
		cmd.Flags().StringVar(&status, "status", "", "open, completed or cancelled (default open)")
		cmd.Flags().StringVar(&assignee, "assignee", "", "actor id of the assignee")
		cmd.Flags().StringVar(&caseID, "case", "", "only tasks of this case")
		cmd.Flags().IntVar(&limit, "limit", 0, "at most this many tasks")
		group = append(group, cmd)
	}
	// claim / unclaim
	for _, verb := range []string{"claim", "unclaim"} {
		group = append(group, &cobra.Command{
			Use:   verb + " TASK_ID",
			Short: strings.ToUpper(verb[:1]) + verb[1:] + " a task",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := cf.client()
				if err != nil {
					return err
				}
				var out map[string]any
				if err := c.do(cmd.Context(), http.MethodPost, "/api/v1/tasks/"+url.PathEscape(args[0])+"/"+verb, map[string]any{}, nil, &out); err != nil {
					return err
				}
				return render(cmd, cf.output, out, []string{"id", "step", "department", "status", "assignee", "claimed_at"})
			},
		})
	}
	// complete
	{
		var outcome, idem string
		var data []string
		cmd := &cobra.Command{
			Use:     "complete TASK_ID",
			Short:   "Complete a task with an outcome; prints the case's next task(s)",
			Example: `  flowlab complete 6f1c… --outcome resolved --data summary="replaced the router"`,
			Args:    cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := cf.client()
				if err != nil {
					return err
				}
				if outcome == "" {
					return usageError{errors.New("--outcome is required")}
				}
				d, err := keyValues(data)
				if err != nil {
					return err
				}
				h := map[string]string{}
				if idem != "" {
					h["Idempotency-Key"] = idem
				}
				var out map[string]any
				if err := c.do(cmd.Context(), http.MethodPost, "/api/v1/tasks/"+url.PathEscape(args[0])+"/complete", map[string]any{"outcome": outcome, "data": d}, h, &out); err != nil {
					return err
				}
				if cf.output == "json" {
					return render(cmd, "json", out, nil)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "completed; case status: %v\n", out["case_status"])
				if next, ok := out["next"].([]any); ok && len(next) > 0 {
					fmt.Fprintln(cmd.OutOrStdout(), "next:")
					return render(cmd, "table", next, []string{"id", "step", "department", "sla_due"})
				}
				return nil
			},
		}
		cmd.Flags().StringVar(&outcome, "outcome", "", "the outcome (one the step allows)")
		cmd.Flags().StringArrayVar(&data, "data", nil, "form field key=value (repeatable)")
		cmd.Flags().StringVar(&idem, "idempotency-key", "", "Idempotency-Key header: a retry completes nothing twice")
		group = append(group, cmd)
	}
	// bottlenecks
	{
		var version int
		var variant, from, to string
		cmd := &cobra.Command{
			Use:     "bottlenecks FLOW",
			Short:   "Where cases of a flow wait: per step waiting and working time, SLA breaches",
			Example: `  flowlab bottlenecks complaint --version 1 --from 2026-11-01T00:00:00Z`,
			Args:    cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := cf.client()
				if err != nil {
					return err
				}
				q := url.Values{}
				if version > 0 {
					q.Set("version", strconv.Itoa(version))
				}
				for k, v := range map[string]string{"variant": variant, "from": from, "to": to} {
					if v != "" {
						q.Set(k, v)
					}
				}
				path := "/api/v1/flows/" + url.PathEscape(args[0]) + "/bottlenecks"
				if len(q) > 0 {
					path += "?" + q.Encode()
				}
				return showBottlenecks(cmd, c, path, cf.output)
			},
		}
		cmd.Flags().IntVar(&version, "version", 0, "flow version (default: all)")
		cmd.Flags().StringVar(&variant, "variant", "", "variant (default: all)")
		cmd.Flags().StringVar(&from, "from", "", "only cases entering steps at or after this RFC 3339 time")
		cmd.Flags().StringVar(&to, "to", "", "only before this RFC 3339 time")
		group = append(group, cmd)
	}
	// token
	{
		var name, role string
		var depts []string
		var expires string
		cmd := &cobra.Command{
			Use:     "token",
			Short:   "Create an API token for an actor (admin); the token is shown once",
			Example: `  flowlab token --name "Tech agent" --role staff --department technical`,
			Args:    cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				c, err := cf.client()
				if err != nil {
					return err
				}
				body := map[string]any{"name": name, "role": role, "departments": depts}
				if expires != "" {
					body["expires_in"] = expires
				}
				var out map[string]any
				if err := c.do(cmd.Context(), http.MethodPost, "/api/v1/tokens", body, nil, &out); err != nil {
					return err
				}
				if cf.output == "json" {
					return render(cmd, "json", out, nil)
				}
				fmt.Fprintln(cmd.OutOrStdout(), out["token"])
				return nil
			},
		}
		cmd.Flags().StringVar(&name, "name", "", "actor name")
		cmd.Flags().StringVar(&role, "role", "staff", "admin, owner, staff or improver")
		cmd.Flags().StringArrayVar(&depts, "department", nil, "department (repeatable)")
		cmd.Flags().StringVar(&expires, "expires-in", "", "lifetime, e.g. 720h")
		group = append(group, cmd)
	}

	for _, c := range group {
		cf.add(c)
		root.AddCommand(c)
	}
	clientFlagsForDemo = &cf
}

var clientFlagsForDemo *clientFlags

// showBottlenecks fetches a bottleneck view (path includes the query) and
// prints it: JSON as is, or a table with the wait/work percentiles
// flattened and the bottleneck step marked.
func showBottlenecks(cmd *cobra.Command, c *apiClient, path, output string) error {
	var out map[string]any
	if err := c.do(cmd.Context(), http.MethodGet, path, nil, nil, &out); err != nil {
		return err
	}
	if output == "json" {
		return render(cmd, "json", out, nil)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "flow %v, %v cases\n", out["flow"], out["cases"])
	rows, _ := out["steps"].([]any)
	flat := make([]any, 0, len(rows))
	for _, r := range rows {
		m, _ := r.(map[string]any)
		if m == nil {
			continue
		}
		f := map[string]any{}
		for k, v := range m {
			f[k] = v
		}
		for _, part := range []string{"wait", "work"} {
			if q, ok := m[part].(map[string]any); ok {
				for _, p := range []string{"p50", "p90", "p95"} {
					f[part+"_"+p] = q[p]
				}
			}
		}
		if b, _ := m["bottleneck"].(bool); b {
			f["bottleneck"] = "<== bottleneck"
		} else {
			f["bottleneck"] = ""
		}
		flat = append(flat, f)
	}
	return render(cmd, "table", flat, []string{"step", "department", "cases", "wait_p50", "wait_p90", "work_p50", "work_p90", "sla_breach_rate", "escalations", "share", "bottleneck"})
}

// listOf returns the list in a response: the value itself when it is a
// list, or the named field of an object.
func listOf(v any, field string) []any {
	switch t := v.(type) {
	case []any:
		return t
	case map[string]any:
		for _, k := range []string{field, "items", "data"} {
			if l, ok := t[k].([]any); ok {
				return l
			}
		}
	}
	return nil
}

// render writes v as indented JSON or as a table of the given columns.
func render(cmd *cobra.Command, format string, v any, cols []string) error {
	w := cmd.OutOrStdout()
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	var rows []map[string]any
	switch t := v.(type) {
	case map[string]any:
		rows = []map[string]any{t}
	case []any:
		for _, r := range t {
			if m, ok := r.(map[string]any); ok {
				rows = append(rows, m)
			}
		}
	}
	if len(rows) == 0 {
		fmt.Fprintln(w, "(none)")
		return nil
	}
	if len(cols) == 0 {
		for k := range rows[0] {
			cols = append(cols, k)
		}
		sort.Strings(cols)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(cols, "\t")))
	for _, r := range rows {
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = cell(r[c])
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

func cell(v any) string {
	switch t := v.(type) {
	case nil:
		return "-"
	case float64:
		if t == float64(int64(t)) {
			return strconv.FormatInt(int64(t), 10)
		}
		return strconv.FormatFloat(t, 'f', 2, 64)
	case []any:
		parts := make([]string, len(t))
		for i, x := range t {
			parts[i] = cell(x)
		}
		return strings.Join(parts, ",")
	default:
		return fmt.Sprint(t)
	}
}
