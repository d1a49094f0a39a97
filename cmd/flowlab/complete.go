package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowlab/flowlab/apiv1"
)

// Shell completion of API values: each asks the API (with the command's
// --server and --token) and offers nothing when it cannot.

type completeFunc = func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective)

const completionTimeout = 3 * time.Second

// completionList asks the API with list for "value\tdescription"
// completions and keeps those whose value starts with prefix.
func completionList(cmd *cobra.Command, cf *clientFlags, prefix string, list func(context.Context, *apiv1.Client) ([]cobra.Completion, error)) []cobra.Completion {
	c, err := cf.client()
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), completionTimeout)
	defer cancel()
	all, err := list(ctx, c)
	if err != nil {
		return nil
	}
	var out []cobra.Completion
	for _, comp := range all {
		val, _, _ := strings.Cut(comp, "\t")
		if val != "" && strings.HasPrefix(val, prefix) {
			out = append(out, comp)
		}
	}
	return out
}

// flowCompletions are the flows' keys with their names.
func flowCompletions(ctx context.Context, c *apiv1.Client) ([]cobra.Completion, error) {
	l, err := c.ListFlows(ctx, apiv1.ListFlowsParams{Limit: 500})
	if err != nil {
		return nil, err
	}
	out := make([]cobra.Completion, 0, len(l.Flows))
	for _, f := range l.Flows {
		out = append(out, cobra.CompletionWithDesc(f.Key, f.Name))
	}
	return out, nil
}

// completeFlows completes flow keys.
func completeFlows(cf *clientFlags) completeFunc {
	return func(cmd *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return completionList(cmd, cf, prefix, flowCompletions), cobra.ShellCompDirectiveNoFileComp
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
		return completionList(cmd, cf, prefix, func(ctx context.Context, c *apiv1.Client) ([]cobra.Completion, error) {
			l, err := c.ListCases(ctx, apiv1.ListCasesParams{Status: apiv1.CaseActive, Limit: 100})
			if err != nil {
				return nil, err
			}
			out := make([]cobra.Completion, 0, len(l.Cases))
			for _, cs := range l.Cases {
				out = append(out, cobra.CompletionWithDesc(cs.ID, fmt.Sprintf("%s %s, step %s", cs.Flow, cs.Customer, cs.Step)))
			}
			return out, nil
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
		return completionList(cmd, cf, prefix, func(ctx context.Context, c *apiv1.Client) ([]cobra.Completion, error) {
			l, err := c.ListTasks(ctx, apiv1.ListTasksParams{Limit: 100})
			if err != nil {
				return nil, err
			}
			out := make([]cobra.Completion, 0, len(l.Tasks))
			for _, t := range l.Tasks {
				out = append(out, cobra.CompletionWithDesc(t.ID, fmt.Sprintf("%s (%s)", t.Step, t.Department)))
			}
			return out, nil
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
		t, err := c.GetTask(ctx, apiv1.TaskIDParams{ID: args[0]})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, s := range t.Outcomes {
			if s != "" && strings.HasPrefix(s, prefix) {
				out = append(out, s)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeDepartments completes the departments the flows name.
func completeDepartments(cf *clientFlags) completeFunc {
	return func(cmd *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		keys := completionList(cmd, cf, "", flowCompletions)
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
			fl, err := c.GetFlow(ctx, apiv1.FlowParams{Key: key})
			if err != nil {
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
