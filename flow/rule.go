package flow

import (
	"errors"
	"fmt"
	"strings"

	"github.com/expr-lang/expr"
)

// RuleEnv builds the environment decision rules are evaluated in:
//
//	attributes  the case attributes (e.g. attributes.severity, attributes.amount)
//	customer    the customer id
//	channel     the channel the case came in on (phone, chat, email, ...)
//	outcome     the outcome of the last completed task
//	data        the form data submitted with that outcome
//
// Nil maps become empty maps so rules can always index them.
func RuleEnv(attributes map[string]any, customer, channel, lastOutcome string, lastData map[string]any) map[string]any {
	if attributes == nil {
		attributes = map[string]any{}
	}
	if lastData == nil {
		lastData = map[string]any{}
	}
	return map[string]any{
		"attributes": attributes,
		"customer":   customer,
		"channel":    channel,
		"outcome":    lastOutcome,
		"data":       lastData,
	}
}

// EvalRule evaluates a decision rule over env (see RuleEnv). The expression
// must produce a boolean. Evaluation is deterministic and does no I/O, so
// it is safe inside workflow code.
func EvalRule(rule string, env map[string]any) (bool, error) {
	prog, err := expr.Compile(rule, ruleOptions(env)...)
	if err != nil {
		return false, fmt.Errorf("compile rule %q: %w", rule, err)
	}
	out, err := expr.Run(prog, env)
	if err != nil {
		return false, fmt.Errorf("evaluate rule %q: %w", rule, err)
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("evaluate rule %q: result is %T, not a boolean", rule, out)
	}
	return b, nil
}

// checkRule compiles a rule against the RuleEnv shape and returns a
// one-line explanation when it does not compile.
func checkRule(rule string) error {
	env := RuleEnv(nil, "", "", "", nil)
	if _, err := expr.Compile(rule, ruleOptions(env)...); err != nil {
		msg, _, _ := strings.Cut(err.Error(), "\n")
		return errors.New(strings.TrimSpace(msg))
	}
	return nil
}

// ruleOptions compiles rules against env's shape, to a boolean, without the
// builtins whose result depends on when they run: rules are evaluated inside
// workflow code and must give the same answer on replay.
func ruleOptions(env map[string]any) []expr.Option {
	return []expr.Option{expr.Env(env), expr.AsBool(), expr.DisableBuiltin("now")}
}
