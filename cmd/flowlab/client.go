package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

	"github.com/flowlab/flowlab/apiv1"
)

// Output formats of --output.
var outputFormats = []string{"table", "json", "yaml"}

// Roles of token create --role.
var tokenRoles = apiv1.Roles

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
func (f *clientFlags) client() (*apiv1.Client, error) {
	c, err := f.clientMaybeAnonymous()
	if err != nil {
		return nil, err
	}
	if c.Token == "" {
		return nil, usageError{errors.New("no token: pass --token or set FLOWLAB_TOKEN")}
	}
	return c, nil
}

// clientMaybeAnonymous is client without requiring a token.
func (f *clientFlags) clientMaybeAnonymous() (*apiv1.Client, error) {
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
	// The client waits out 429 answers for up to apiv1.DefaultRateWait.
	return apiv1.NewClient(strings.TrimRight(f.server, "/"), tok), nil
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

// emitAnswer is emit of an API answer: JSON and YAML show it as the API
// sent it, with the keys in a stable (sorted) order, not in the order of
// the Go type's fields.
func emitAnswer(cmd *cobra.Command, format string, answer any, table func(w io.Writer) error) error {
	if format == "table" {
		return emit(cmd, format, answer, table)
	}
	doc, err := document(answer)
	if err != nil {
		return err
	}
	return emit(cmd, format, doc, table)
}

// renderAnswer is render of an API answer (see emitAnswer).
func renderAnswer(cmd *cobra.Command, format string, answer any, cols []string) error {
	return emitAnswer(cmd, format, answer, func(w io.Writer) error { return writeTable(w, answer, cols) })
}

// document is a typed API answer as the JSON document it is (objects as
// map[string]any, lists as []any), for output that shows whole answers.
func document(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode the answer: %w", err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("decode the answer: %w", err)
	}
	return doc, nil
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
	case nil:
	default:
		// A typed answer, or a list of them: a row per object.
		doc, err := document(v)
		if err != nil {
			return err
		}
		switch doc.(type) {
		case map[string]any, []any, nil:
			return writeTable(w, doc, cols)
		}
		return fmt.Errorf("cannot show %T as a table", v)
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
	case time.Time:
		// As the API writes times.
		return t.Format(time.RFC3339Nano)
	case *time.Time:
		if t == nil {
			return "-"
		}
		return cell(*t)
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
