package flow

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Rules beyond the static limits are refused by checkRule (validation)
// and by EvalRule, each with a message saying which limit.
func TestRuleStaticLimits(t *testing.T) {
	t.Parallel()
	many := "1 == 1" + strings.Repeat(" && 1 == 1", MaxRuleNodes/3)
	tests := []struct{ name, rule, want string }{
		{"too long", `"` + strings.Repeat("a", MaxRuleLength) + `" == data.x`, "the rule is 1012 bytes long; the limit is 1000"},
		{"too many nodes", many, fmt.Sprintf("the rule has more than %d parts", MaxRuleNodes)},
		{"too deep", "!" + strings.Repeat("!", MaxRuleDepth) + "true", "levels deep; the limit is 32"},
		{"huge range", `len(1..1000000000) > 0`, "the range 1..1000000000 has 1000000000 elements; the limit is 1000"},
		{"range from input", `len(1..attributes.n) > 0`, "both ends of a range must be whole numbers written in the rule"},
		{"repeat", `len(repeat("x", 1000000)) > 0`, "repeat is not one of the functions rules may use"},
		{"reduce", `reduce(1..10, #acc + #acc, "x") != ""`, "reduce is not one of the functions rules may use"},
		{"replace", `replace(customer, "", customer) != ""`, "replace is not one of the functions rules may use"},
		{"join", `join(data.xs, customer) != ""`, "join is not one of the functions rules may use"},
		{"now", `now().Year() > 2000`, "now is not one of the functions rules may use"},
		{"date", `date("2024-01-01") != nil`, "date is not one of the functions rules may use"},
		{"toPairs", `len(toPairs(attributes)) > 0`, "toPairs is not one of the functions rules may use"},
		{"dynamic pattern", `customer matches data.pattern`, "the pattern of matches must be a string written in the rule"},
		{"reserved name", `__add(1, 2) == 3`, "names starting with __ are reserved"},
		{"sequence", `1; true`, "a rule is one expression"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.ErrorContains(t, checkRule(tc.rule), tc.want)
			_, err := EvalRule(tc.rule, RuleEnv(nil, "c", "", "", nil))
			require.ErrorContains(t, err, tc.want)
		})
	}
	require.NoError(t, checkRule(strings.Repeat("(", 10)+"true"+strings.Repeat(")", 10)))
}

// The rules the built-in flows and the flow reference use still compile.
func TestRuleAllowedConstructs(t *testing.T) {
	t.Parallel()
	env := RuleEnv(map[string]any{"amount": 150, "tags": []any{"a", "b"}, "severity": "advanced"}, "vip-1", "phone", "done",
		map[string]any{"items": []any{map[string]any{"qty": 2}, map[string]any{"qty": 5}}})
	for _, rule := range []string{
		`let amount = data.amount ?? attributes.amount; amount != nil && amount <= 200`,
		`attributes.severity == "advanced" || data.severity == "advanced"`,
		`any(data.items, .qty > 4) && count(attributes.tags, # == "a") == 1`,
		`sum(map(data.items, .qty)) == 7 && len(1..10) == 10`,
		`lower(customer + "-" + channel) == "vip-1-phone" && customer matches "^vip-[0-9]+$"`,
		`keys(attributes) == ["amount", "severity", "tags"] && first(values(attributes)) == 150`,
		`max(attributes.amount, 10) == 150 && upper(trim(" x ")) == "X" && hasPrefix(customer, "vip")`,
	} {
		require.NoError(t, checkRule(rule), rule)
		ok, err := EvalRule(rule, env)
		require.NoError(t, err, rule)
		require.True(t, ok, rule)
	}
}

// Rules that would loop for seconds or build strings until the worker
// runs out of memory stop at a run-time limit, quickly, with a
// *RuleLimitError; the same input gives the same error every time.
func TestRuleRuntimeLimits(t *testing.T) {
	t.Parallel()
	thousand := make([]any, 1000)
	for i := range thousand {
		thousand[i] = i
	}
	big := strings.Repeat("x", 1000)
	eightThousand := make([]any, 8000)
	for i := range eightThousand {
		eightThousand[i] = float64(i)
	}
	tests := []struct {
		name  string
		rule  string
		env   map[string]any
		limit string
	}{
		{"nested loops", `any(1..1000, any(1..1000, any(1..1000, # < 0)))`, RuleEnv(nil, "", "", "", nil), "memory"},
		{"nested loops, one range", `any(1..1000, any(data.xs, # < 0))`, RuleEnv(nil, "", "", "", map[string]any{"xs": thousand}), "iterations"},
		{"nested loops over input", `len(filter(data.xs, count(data.xs, # < 0) == 1)) > 0`, RuleEnv(nil, "", "", "", map[string]any{"xs": thousand}), "iterations"},
		{"doubling strings", `let a = customer + customer; let b = a + a; let c = b + b; let d = c + c; let e = d + d; let f = e + e; let g = f + f; let h = g + g; let i = h + h; let j = i + i; let k = j + j; len(k + k) > 0`, RuleEnv(nil, big, "", "", nil), "bytes"},
		{"strings built in a loop", `len(map(1..1000, upper(customer))) > 0`, RuleEnv(nil, strings.Repeat("x", 2000), "", "", nil), "bytes"},
		{"regex over large text in a loop", `any(1..1000, any(1..8, customer matches "a+z"))`, RuleEnv(nil, strings.Repeat("ab", 30000), "", "", nil), "scan"},
		{"in over a list in a loop", `any(data.xs, # in data.xs && # < 0)`, RuleEnv(nil, "", "", "", map[string]any{"xs": eightThousand}), "scan"},
		{"max over a list in a loop", `any(data.xs, max(data.xs) < 0)`, RuleEnv(nil, "", "", "", map[string]any{"xs": eightThousand}), "scan"},
		{"input too large", `customer != ""`, RuleEnv(nil, strings.Repeat("x", MaxRuleInput+1), "", "", nil), "input"},
		{"big literal arrays", `len(map(1..1000, [#, #, #, #, #, #, #, #, #, #, #])) > 0`, RuleEnv(nil, "", "", "", nil), "memory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.NoError(t, checkRule(tc.rule))
			start := time.Now()
			_, err := EvalRule(tc.rule, tc.env)
			require.Less(t, time.Since(start), time.Second)
			var le *RuleLimitError
			require.True(t, errors.As(err, &le), "want a RuleLimitError, got %v", err)
			require.Equal(t, tc.limit, le.Limit, "%v", err)
			_, again := EvalRule(tc.rule, tc.env)
			require.Equal(t, err.Error(), again.Error())
		})
	}
}

// keys and values give the same, sorted, order on every evaluation, so the
// same rule and input always route a case the same way.
func TestRuleMapOrderIsDeterministic(t *testing.T) {
	t.Parallel()
	attrs := map[string]any{}
	for i := range 50 {
		attrs[fmt.Sprintf("k%02d", i)] = i
	}
	env := RuleEnv(attrs, "", "", "", nil)
	for _, rule := range []string{
		`first(keys(attributes)) == "k00"`,
		`first(values(attributes)) == 0`,
		`findIndex(values(attributes), # == 7) == 7`,
		`last(keys(attributes)) == "k49"`,
	} {
		for range 50 {
			ok, err := EvalRule(rule, env)
			require.NoError(t, err, rule)
			require.True(t, ok, rule)
		}
	}
	// A list function over a map itself is refused at run time (its
	// order is not stable).
	_, err := EvalRule(`any(attributes, # == 1)`, env)
	require.ErrorContains(t, err, "a list function cannot go through a map, whose order is not stable")
}

// FuzzRule: any rule text is checked and evaluated without a panic, and
// what validation accepts evaluates within the run-time limits quickly.
func FuzzRule(f *testing.F) {
	for _, s := range []string{
		`attributes.amount > 200`, `any(1..1000, any(1..1000, # < 0))`, `keys(attributes) == ["a"]`,
		`let a = customer + customer; len(a + a) > 0`, `customer matches "^(a+)+$"`, `len(1..1000) > 0`,
		`filter(data.xs, # > 1) == []`, `max(data.xs) > 1 && "a" in data`,
	} {
		f.Add(s)
	}
	env := RuleEnv(map[string]any{"amount": 150.0, "a": "x"}, strings.Repeat("ab", 1000), "chat", "done",
		map[string]any{"xs": []any{1.0, 2.0, 3.0}})
	f.Fuzz(func(t *testing.T, rule string) {
		start := time.Now()
		if checkRule(rule) != nil {
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("checking rule %q took %s", rule, d)
			}
			return
		}
		_, _ = EvalRule(rule, env)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("rule %q took %s", rule, d)
		}
	})
}
