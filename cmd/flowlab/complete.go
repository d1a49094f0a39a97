package main

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// Shell completion of API values: each asks the API (with the command's
// --server and --token) and offers nothing when it cannot.

type completeFunc = func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective)

const completionTimeout = 3 * time.Second

// completionList fetches one page of a list and returns "value\tdescription"
// completions for the items whose value starts with prefix.
func completionList(cmd *cobra.Command, cf *clientFlags, path string, q url.Values, items, prefix string, value func(map[string]any) (string, string)) []cobra.Completion {
	c, err := cf.client()
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), completionTimeout)
	defer cancel()
	var v any
	if err := c.get(ctx, path, q, &v); err != nil {
		return nil
	}
	var out []cobra.Completion
	for _, it := range decodePage(v, items).items {
		m, _ := it.(map[string]any)
		if m == nil {
			continue
		}
		val, desc := value(m)
		if val != "" && strings.HasPrefix(val, prefix) {
			out = append(out, cobra.CompletionWithDesc(val, desc))
		}
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// completeFlows completes flow keys.
func completeFlows(cf *clientFlags) completeFunc {
	return func(cmd *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return completionList(cmd, cf, apiPath("flows"), url.Values{"limit": {"500"}}, "flows", prefix, func(m map[string]any) (string, string) {
			return str(m["key"]), str(m["name"])
		}), cobra.ShellCompDirectiveNoFileComp
	}
}

// completeFlowArg completes a flow key as the first argument.
func completeFlowArg(cf *clientFlags) completeFunc {
	flows := completeFlows(cf)
	return func(cmd *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return flows(cmd, args, prefix)
	}
}

// completeCases completes the ids of active cases as the first argument.
func completeCases(cf *clientFlags) completeFunc {
	return func(cmd *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 && cmd.Flags().Lookup("case") == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return completionList(cmd, cf, apiPath("cases"), url.Values{"status": {"active"}, "limit": {"100"}}, "cases", prefix, func(m map[string]any) (string, string) {
			return str(m["id"]), fmt.Sprintf("%s %s, step %s", str(m["flow"]), str(m["customer"]), str(m["step"]))
		}), cobra.ShellCompDirectiveNoFileComp
	}
}

// completeTasks completes the ids of open tasks the caller may see as the
// first argument.
func completeTasks(cf *clientFlags) completeFunc {
	return func(cmd *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return completionList(cmd, cf, apiPath("tasks"), url.Values{"limit": {"100"}}, "tasks", prefix, func(m map[string]any) (string, string) {
			return str(m["id"]), fmt.Sprintf("%s (%s)", str(m["step"]), str(m["department"]))
		}), cobra.ShellCompDirectiveNoFileComp
	}
}

// completeOutcomes completes --outcome with the outcomes of the task named
// by the first argument.
func completeOutcomes(cf *clientFlags) completeFunc {
	return func(cmd *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c, err := cf.client()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), completionTimeout)
		defer cancel()
		var t map[string]any
		if err := c.get(ctx, apiPath("tasks", args[0]), nil, &t); err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, o := range asAnyList(t["outcomes"]) {
			if s := str(o); s != "" && strings.HasPrefix(s, prefix) {
				out = append(out, s)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeDepartments completes the departments the flows name.
func completeDepartments(cf *clientFlags) completeFunc {
	return func(cmd *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		keys := completionList(cmd, cf, apiPath("flows"), url.Values{"limit": {"500"}}, "flows", "", func(m map[string]any) (string, string) {
			return str(m["key"]), ""
		})
		c, err := cf.client()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), completionTimeout)
		defer cancel()
		seen := map[string]bool{}
		for i, k := range keys {
			if i == 20 {
				break
			}
			key, _, _ := strings.Cut(k, "\t")
			var fl map[string]any
			if err := c.get(ctx, apiPath("flows", key), nil, &fl); err != nil {
				continue
			}
			for _, d := range departmentsOf(fl) {
				if strings.HasPrefix(d, prefix) {
					seen[d] = true
				}
			}
		}
		out := make([]cobra.Completion, 0, len(seen))
		for d := range seen {
			out = append(out, d)
		}
		sort.Strings(out)
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

func asAnyList(v any) []any {
	l, _ := v.([]any)
	return l
}
