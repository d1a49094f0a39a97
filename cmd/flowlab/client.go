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
	"gopkg.in/yaml.v3"
)

// apiError is a problem+json answer (or a transport failure, Status 0).
type apiError struct {
	Status    int
	Title     string
	Detail    string
	RequestID string
	Errors    []fieldError
}

// fieldError is one entry of a problem's errors list.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
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
	// rateWait bounds how long one request waits out 429 answers in all
	// (zero: defaultRateWait).
	rateWait time.Duration
}

// defaultRateWait is how long a request waits out the server's rate limit
// (429 with Retry-After) before the 429 is reported.
const defaultRateWait = time.Minute

// Output formats of --output.
var outputFormats = []string{"table", "json", "yaml"}

// Roles of token create --role.
var tokenRoles = []string{"admin", "owner", "staff", "improver"}

// clientFlags are the flags every client command has.
type clientFlags struct {
	server string
	token  string
	output string
}

func (f *clientFlags) add(cmd *cobra.Command) { f.addWithDefault(cmd, "table") }

func (f *clientFlags) addWithDefault(cmd *cobra.Command, output string) {
	f.addConnection(cmd)
	cmd.PersistentFlags().StringVarP(&f.output, "output", "o", output, "output format: table, json or yaml")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(outputFormats, cobra.ShellCompDirectiveNoFileComp))
}

// addConnection adds --server and --token only, for a command whose
// output is not a table, JSON or YAML (it keeps the table format).
func (f *clientFlags) addConnection(cmd *cobra.Command) {
	f.output = "table"
	cmd.PersistentFlags().StringVar(&f.server, "server", envOr("FLOWLAB_SERVER", "http://127.0.0.1:8080"), "flowlab API base URL (env FLOWLAB_SERVER)")
	cmd.PersistentFlags().StringVar(&f.token, "token", "", "API token (default: env FLOWLAB_TOKEN, else the dev admin token in $FLOWLAB_DATA/admin-token; never shown here)")
	_ = cmd.RegisterFlagCompletionFunc("server", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("token", cobra.NoFileCompletions)
}

// client checks the output format and returns a client for the API.
func (f *clientFlags) client() (*apiClient, error) {
	c, err := f.clientMaybeAnonymous()
	if err != nil {
		return nil, err
	}
	if c.token == "" {
		return nil, usageError{errors.New("no token: pass --token or set FLOWLAB_TOKEN")}
	}
	return c, nil
}

// clientMaybeAnonymous is client without requiring a token.
func (f *clientFlags) clientMaybeAnonymous() (*apiClient, error) {
	if !contains(outputFormats, f.output) {
		return nil, usageError{fmt.Errorf("--output must be table, json or yaml, not %q", f.output)}
	}
	u, err := url.Parse(f.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageError{fmt.Errorf("--server must be an http:// or https:// URL, not %q", f.server)}
	}
	// FLOWLAB_TOKEN is read here, not as the flag's default, so that
	// --help never prints it.
	tok := flagOrEnv(f.token, "FLOWLAB_TOKEN")
	if tok == "" {
		b, err := os.ReadFile(filepath.Join(envOr("FLOWLAB_DATA", ".flowlab"), adminTokenFile))
		if err == nil {
			tok = strings.TrimSpace(string(b))
		}
	}
	return &apiClient{base: strings.TrimRight(f.server, "/"), token: tok, http: &http.Client{Timeout: 60 * time.Second}}, nil
}

// do sends a request and decodes the JSON answer into out (when non-nil).
func (c *apiClient) do(ctx context.Context, method, path string, body any, headers map[string]string, out any) error {
	var raw []byte
	h := map[string]string{"Accept": "application/json, application/problem+json"}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		raw = b
		h["Content-Type"] = "application/json"
	}
	for k, v := range headers {
		h[k] = v
	}
	_, data, err := c.send(ctx, method, path, raw, body != nil, h)
	if err != nil {
		return err
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return &apiError{Status: http.StatusBadGateway, Title: "Bad answer", Detail: "the server's answer is not JSON: " + err.Error()}
		}
	}
	return nil
}

// send sends a request with a raw body (when hasBody) and returns the
// status and body of a successful answer; a problem answer is an
// *apiError.
//
// A 429 is waited out: the server refuses such a request before acting on
// it, so sending it again after Retry-After is safe for every method. The
// waits of one request add up to at most rateWait; then the 429 is the
// answer.
func (c *apiClient) send(ctx context.Context, method, path string, body []byte, hasBody bool, headers map[string]string) (int, []byte, error) {
	budget := c.rateWait
	if budget <= 0 {
		budget = defaultRateWait
	}
	for {
		status, data, retryAfter, err := c.sendOnce(ctx, method, path, body, hasBody, headers)
		var ae *apiError
		if !errors.As(err, &ae) || ae.Status != http.StatusTooManyRequests || retryAfter > budget {
			return status, data, err
		}
		budget -= retryAfter
		t := time.NewTimer(retryAfter)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, nil, err
		case <-t.C:
		}
	}
}

// sendOnce is one attempt of send; it also returns a 429's Retry-After
// (at least a second when the header is missing or unreadable).
func (c *apiClient) sendOnce(ctx context.Context, method, path string, body []byte, hasBody bool, headers map[string]string) (int, []byte, time.Duration, error) {
	var rd io.Reader
	if hasBody {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, 0, usageError{fmt.Errorf("bad server URL %q: %w", c.base, err)}
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, 0, &apiError{Detail: fmt.Sprintf("cannot reach %s: %v", c.base, err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, nil, 0, &apiError{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode), Detail: "reading the answer: " + err.Error()}
	}
	if resp.StatusCode >= 400 {
		wait := time.Second
		if n, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && n > 0 {
			wait = time.Duration(n) * time.Second
		}
		return 0, nil, wait, problemOf(resp.StatusCode, data)
	}
	return resp.StatusCode, data, 0, nil
}

// problemOf is the *apiError of a failed answer's body.
func problemOf(status int, data []byte) *apiError {
	var p struct {
		Title     string       `json:"title"`
		Detail    string       `json:"detail"`
		RequestID string       `json:"request_id"`
		Errors    []fieldError `json:"errors"`
	}
	_ = json.Unmarshal(data, &p)
	if p.Title == "" {
		p.Title = http.StatusText(status)
	}
	return &apiError{Status: status, Title: p.Title, Detail: p.Detail, RequestID: p.RequestID, Errors: p.Errors}
}

// stream GETs path with the non-empty values of q and returns the body of
// a successful answer for the caller to read as it arrives and close. No
// overall timeout applies (an export may take long); the context bounds it.
func (c *apiClient) stream(ctx context.Context, path string, q url.Values, accept string) (io.ReadCloser, error) {
	if enc := q.Encode(); enc != "" {
		path += "?" + enc
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, usageError{fmt.Errorf("bad server URL %q: %w", c.base, err)}
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("Accept", accept)
	hc := *c.http
	hc.Timeout = 0
	resp, err := hc.Do(req)
	if err != nil {
		return nil, &apiError{Detail: fmt.Sprintf("cannot reach %s: %v", c.base, err)}
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return nil, problemOf(resp.StatusCode, data)
	}
	return resp.Body, nil
}

// get is do for a GET of path with the non-empty values of q.
func (c *apiClient) get(ctx context.Context, path string, q url.Values, out any) error {
	if enc := q.Encode(); enc != "" {
		path += "?" + enc
	}
	return c.do(ctx, http.MethodGet, path, nil, nil, out)
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

// emit writes v as JSON or YAML, or calls table for the table format.
func emit(cmd *cobra.Command, format string, v any, table func(w io.Writer) error) error {
	w := cmd.OutOrStdout()
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(v)
	case "yaml":
		return writeYAML(w, v)
	}
	return table(w)
}

// writeYAML writes a decoded JSON value as YAML; yaml.v3 sorts map keys,
// so the output is stable.
func writeYAML(w io.Writer, v any) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode YAML: %w", err)
	}
	return enc.Close()
}

// render writes v as JSON, YAML or a table of the given columns.
func render(cmd *cobra.Command, format string, v any, cols []string) error {
	return emit(cmd, format, v, func(w io.Writer) error { return writeTable(w, v, cols) })
}

// writeTable writes an object or a list of objects as a table of cols
// (all keys, sorted, when cols is empty).
func writeTable(w io.Writer, v any, cols []string) error {
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
	case []map[string]any:
		rows = t
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

// cell formats one table cell: "-" for null or empty, integers without
// decimals, other numbers with two, lists comma-separated.
func cell(v any) string {
	switch t := v.(type) {
	case nil:
		return "-"
	case string:
		if t == "" {
			return "-"
		}
		return strings.ReplaceAll(strings.TrimSpace(t), "\n", " ")
	case float64:
		if t == float64(int64(t)) {
			return strconv.FormatInt(int64(t), 10)
		}
		return strconv.FormatFloat(t, 'f', 2, 64)
	case []any:
		if len(t) == 0 {
			return "-"
		}
		parts := make([]string, len(t))
		for i, x := range t {
			parts[i] = cell(x)
		}
		return strings.Join(parts, ",")
	case map[string]any:
		if len(t) == 0 {
			return "-"
		}
		b, _ := json.Marshal(t)
		return string(b)
	default:
		return fmt.Sprint(t)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
