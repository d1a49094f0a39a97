package flow

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/conf"
	exprparser "github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
	"github.com/expr-lang/expr/vm/runtime"
)

// Limits on decision rules (decision 0020). A rule is untrusted input that
// runs inside workflow code: it must not stall or kill a worker, and it
// must give the same answer every time it runs over the same input.
// Validation refuses rules beyond the static limits; evaluation stops a
// rule that goes beyond the run-time ones with a *RuleLimitError.
const (
	// MaxRuleLength is the longest rule text, in bytes.
	MaxRuleLength = 1000
	// MaxRuleNodes is the most syntax nodes a rule may have.
	MaxRuleNodes = 200
	// MaxRuleDepth is the deepest a rule's syntax may nest.
	MaxRuleDepth = 32
	// MaxRuleRange is the most elements a range a..b may have; both ends
	// must be whole numbers written in the rule.
	MaxRuleRange = 1000
	// MaxRuleInput is the most input a rule may read, in bytes: every
	// string and map key of the attributes, customer, channel, outcome
	// and data, plus 8 bytes for every other value.
	MaxRuleInput = 64 << 10
	// MaxRuleIterations is the most list elements the list functions
	// (all, any, filter, map, count, ...) and keys/values may visit in
	// one evaluation, nested visits included.
	MaxRuleIterations = 10_000
	// MaxRuleBytes is the most string bytes a rule may build (by +,
	// upper, lower, trim, string) in one evaluation.
	MaxRuleBytes = 1 << 20
	// MaxRuleScan is the most work the comparing operators may do in one
	// evaluation, in units of one byte of text read by contains,
	// startsWith, endsWith, indexOf, lastIndexOf, hasPrefix and
	// hasSuffix, one list element read by in, max, min, mean and median,
	// and, for matches, one byte of text times the pattern's length (at
	// least 8): Go's regexp takes time in proportion to both.
	MaxRuleScan = 16 << 20
	// maxRuleMemory is the expr VM's memory budget: the elements of the
	// ranges, arrays and maps a rule writes out.
	maxRuleMemory = 10_000
)

// RuleFunctions are the functions a rule may call: an allow-list of expr's
// builtins whose result depends only on their arguments. keys and values
// are flowlab's own and return their results sorted by key, so that map
// order never changes an answer.
var RuleFunctions = []string{
	// list functions (their collection counts against MaxRuleIterations)
	"all", "any", "none", "one", "filter", "map", "count", "sum",
	"find", "findIndex", "findLast", "findLastIndex",
	// values
	"len", "abs", "ceil", "floor", "round", "int", "float", "string", "type",
	"max", "min", "mean", "median", "first", "last", "get",
	// strings
	"trim", "trimPrefix", "trimSuffix", "upper", "lower",
	"indexOf", "lastIndexOf", "hasPrefix", "hasSuffix",
	// maps, in key order
	"keys", "values",
}

// ruleIterating are the functions whose first argument is iterated.
var ruleIterating = map[string]bool{
	"all": true, "any": true, "none": true, "one": true, "filter": true, "map": true,
	"count": true, "sum": true, "find": true, "findIndex": true, "findLast": true, "findLastIndex": true,
}

// ruleBuilding are the functions that build a new string.
var ruleBuilding = map[string]bool{
	"string": true, "trim": true, "trimPrefix": true, "trimSuffix": true, "upper": true, "lower": true,
}

// RuleLimitError reports a rule that went beyond a run-time limit.
type RuleLimitError struct {
	Limit string // "input", "iterations", "bytes", "scan" or "memory"
	Msg   string
}

func (e *RuleLimitError) Error() string { return e.Msg }

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
// it is safe inside workflow code: the rule is checked against the static
// limits again, its input must be at most MaxRuleInput, and its work and
// the strings it builds are metered; going beyond a limit returns a
// *RuleLimitError (the same one on every run over the same input).
func EvalRule(rule string, env map[string]any) (bool, error) {
	if err := inspectRule(rule); err != nil {
		return false, fmt.Errorf("compile rule %q: %w", rule, err)
	}
	if _, ok := inputSize(env, MaxRuleInput); !ok {
		// The size reached when the walk stopped depends on map order: the
		// message names only the limit, the same on every run.
		return false, fmt.Errorf("rule %q: %w", rule, &RuleLimitError{Limit: "input",
			Msg: fmt.Sprintf("the case's attributes and data are more than %d bytes, more than a rule may read", MaxRuleInput)})
	}
	m := &ruleMeter{}
	prog, err := expr.Compile(rule, ruleOptions(env, m)...)
	if err != nil {
		return false, fmt.Errorf("compile rule %q: %w", rule, err)
	}
	machine := vm.VM{MemoryBudget: maxRuleMemory}
	out, err := machine.Run(prog, env)
	if err != nil {
		if m.err != nil {
			return false, fmt.Errorf("evaluate rule %q: %w", rule, m.err)
		}
		if strings.Contains(err.Error(), "memory budget exceeded") {
			return false, fmt.Errorf("evaluate rule %q: %w", rule, &RuleLimitError{Limit: "memory",
				Msg: fmt.Sprintf("the rule builds lists or maps of more than %d elements", maxRuleMemory)})
		}
		return false, fmt.Errorf("evaluate rule %q: %w", rule, err)
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("evaluate rule %q: result is %T, not a boolean", rule, out)
	}
	return b, nil
}

// EvalRuleUnbounded evaluates a rule as flowlab did before decision 0020:
// any expr builtin but now, no input or work limits, keys and values in
// map order. Only the Case workflow's replay of a run recorded before then
// uses it, for a rule that EvalRule now refuses, so that the replay takes
// the branch the run took (an error still counts as false there). Never
// use it for a new evaluation.
func EvalRuleUnbounded(rule string, env map[string]any) (bool, error) {
	prog, err := expr.Compile(rule, expr.Env(env), expr.AsBool(), expr.DisableBuiltin("now"))
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

// checkRule checks a rule against the static limits and compiles it
// against the RuleEnv shape; it returns a one-line explanation when the
// rule may not be used.
func checkRule(rule string) error {
	if err := inspectRule(rule); err != nil {
		return err
	}
	env := RuleEnv(nil, "", "", "", nil)
	// Compiled once as written, for expr's type errors (the metering
	// hides some: __add returns any), then as it runs.
	plain := []expr.Option{expr.Env(env), expr.AsBool(), expr.MaxNodes(MaxRuleNodes)}
	for _, opts := range [][]expr.Option{plain, ruleOptions(env, &ruleMeter{})} {
		if _, err := expr.Compile(rule, opts...); err != nil {
			msg, _, _ := strings.Cut(err.Error(), "\n")
			return errors.New(strings.TrimSpace(msg))
		}
	}
	return nil
}

// ruleOptions compiles rules against env's shape, to a boolean, with the
// metering of m patched in, keys and values sorted, and every builtin not
// in RuleFunctions disabled (inspectRule refuses them with a clearer
// message first).
func ruleOptions(env map[string]any, m *ruleMeter) []expr.Option {
	opts := []expr.Option{
		expr.Env(env), expr.AsBool(), expr.MaxNodes(MaxRuleNodes),
		expr.DisableAllBuiltins(),
	}
	for _, name := range RuleFunctions {
		if name != "keys" && name != "values" {
			opts = append(opts, expr.EnableBuiltin(name))
		}
	}
	return append(opts,
		expr.Function("keys", m.keys),
		expr.Function("values", m.values),
		expr.Function(meterIter, m.iter),
		expr.Function(meterAdd, m.add),
		expr.Function(meterBytes, m.bytes),
		expr.Function(meterScan, m.scan),
		expr.Patch(meterPatch{}),
	)
}

// Names of the metering functions patched into every rule. They start
// with "__", which inspectRule refuses in a rule's own text.
const (
	meterIter  = "__iter"
	meterAdd   = "__add"
	meterBytes = "__bytes"
	meterScan  = "__scan"
)

// ruleScanning are the builtins whose arguments are read whole: for each,
// the indexes of the arguments whose size counts against MaxRuleScan.
var ruleScanning = map[string][]int{
	"indexOf": {0}, "lastIndexOf": {0}, "hasPrefix": {1}, "hasSuffix": {1},
	"max": {0, 1, 2, 3}, "min": {0, 1, 2, 3}, "mean": {0}, "median": {0},
}

// meterPatch routes the collection of every list function through
// __iter, every + through __add and every string-building function
// through __bytes, so that one evaluation's work and strings are counted.
type meterPatch struct{}

func (meterPatch) Visit(node *ast.Node) {
	call := func(name string, args ...ast.Node) *ast.CallNode {
		return &ast.CallNode{Callee: &ast.IdentifierNode{Value: name}, Arguments: args}
	}
	switch n := (*node).(type) {
	case *ast.BuiltinNode:
		if ruleIterating[n.Name] && len(n.Arguments) > 0 {
			if c, ok := n.Arguments[0].(*ast.CallNode); ok && isCallTo(c, meterIter) {
				return // already patched (patchers may run more than once)
			}
			ast.Patch(&n.Arguments[0], call(meterIter, n.Arguments[0]))
		}
		for _, i := range ruleScanning[n.Name] {
			if i < len(n.Arguments) {
				if c, ok := n.Arguments[i].(*ast.CallNode); !ok || !isCallTo(c, meterScan) {
					ast.Patch(&n.Arguments[i], call(meterScan, n.Arguments[i], &ast.IntegerNode{Value: 1}))
				}
			}
		}
		if ruleBuilding[n.Name] {
			ast.Patch(node, call(meterBytes, n))
		}
	case *ast.BinaryNode:
		scan := func(side *ast.Node, weight int) {
			if c, ok := (*side).(*ast.CallNode); ok && isCallTo(c, meterScan) {
				return
			}
			ast.Patch(side, call(meterScan, *side, &ast.IntegerNode{Value: weight}))
		}
		switch n.Operator {
		case "+":
			ast.Patch(node, call(meterAdd, n.Left, n.Right))
		case "contains":
			scan(&n.Left, 1)
		case "startsWith", "endsWith":
			scan(&n.Right, 1)
		case "in":
			scan(&n.Right, 1)
		case "matches":
			weight := 8
			if p, ok := n.Right.(*ast.StringNode); ok {
				weight = max(weight, len(p.Value))
			}
			scan(&n.Left, weight)
		}
	}
}

func isCallTo(c *ast.CallNode, name string) bool {
	id, ok := c.Callee.(*ast.IdentifierNode)
	return ok && id.Value == name
}

// ruleMeter counts one evaluation's iterations and built bytes. Its first
// error stops the evaluation; it is kept so EvalRule can return it typed.
type ruleMeter struct {
	iterations int
	nbytes     int
	scanned    int
	err        error
}

// scan counts the text or list an operator is about to read, times
// weight (args: the value, the weight).
func (m *ruleMeter) scan(args ...any) (any, error) {
	v, weight := args[0], 1
	if w, ok := args[1].(int); ok {
		weight = w
	}
	n := 0
	switch x := v.(type) {
	case string:
		n = len(x)
	case []any:
		n = len(x)
	default:
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
			n = rv.Len()
		}
	}
	m.scanned += n * weight
	if m.scanned > MaxRuleScan {
		return nil, m.stop(&RuleLimitError{Limit: "scan",
			Msg: fmt.Sprintf("the rule reads more than %d bytes of text or list elements (matches counts each byte times its pattern's length)", MaxRuleScan)})
	}
	return v, nil
}

func (m *ruleMeter) stop(err *RuleLimitError) error {
	if m.err == nil {
		m.err = err
	}
	return err
}

func (m *ruleMeter) visit(n int) error {
	m.iterations += n
	if m.iterations > MaxRuleIterations {
		return m.stop(&RuleLimitError{Limit: "iterations",
			Msg: fmt.Sprintf("the rule visits more than %d list elements", MaxRuleIterations)})
	}
	return nil
}

func (m *ruleMeter) built(s string) error {
	m.nbytes += len(s)
	if m.nbytes > MaxRuleBytes {
		return m.stop(&RuleLimitError{Limit: "bytes",
			Msg: fmt.Sprintf("the rule builds more than %d bytes of text", MaxRuleBytes)})
	}
	return nil
}

// iter counts the elements a list function is about to visit. Maps are
// refused: their order is not stable (use keys or values).
func (m *ruleMeter) iter(args ...any) (any, error) {
	v := args[0]
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		return v, m.visit(rv.Len())
	case reflect.Map:
		return nil, errors.New("a list function cannot go through a map, whose order is not stable; use keys(...) or values(...), which are sorted by key")
	}
	return v, nil // nil and other values: the builtin reports them
}

func (m *ruleMeter) add(args ...any) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%v", r)
		}
	}()
	out = runtime.Add(args[0], args[1])
	if s, ok := out.(string); ok {
		return out, m.built(s)
	}
	return out, nil
}

func (m *ruleMeter) bytes(args ...any) (any, error) {
	if s, ok := args[0].(string); ok {
		return s, m.built(s)
	}
	return args[0], nil
}

// sortedKeys returns a map's keys in order, counting them as iterations.
func (m *ruleMeter) sortedKeys(fn string, v any) ([]string, map[string]any, error) {
	mp, ok := v.(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("%s() needs a map, found %T", fn, v)
	}
	if err := m.visit(len(mp)); err != nil {
		return nil, nil, err
	}
	keys := make([]string, 0, len(mp))
	for k := range mp {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, mp, nil
}

// keys returns a map's keys sorted.
func (m *ruleMeter) keys(args ...any) (any, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("keys() takes one map, found %d arguments", len(args))
	}
	keys, _, err := m.sortedKeys("keys", args[0])
	if err != nil {
		return nil, err
	}
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = k
	}
	return out, nil
}

// values returns a map's values in the order of their sorted keys.
func (m *ruleMeter) values(args ...any) (any, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("values() takes one map, found %d arguments", len(args))
	}
	keys, mp, err := m.sortedKeys("values", args[0])
	if err != nil {
		return nil, err
	}
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = mp[k]
	}
	return out, nil
}

// inputSize measures env as MaxRuleInput defines it, stopping once it is
// beyond limit; ok is false then.
func inputSize(v any, limit int) (n int, ok bool) {
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if n > limit {
			return
		}
		if depth > 64 {
			n = limit + 1 // deeper than any decoded JSON flowlab accepts
			return
		}
		switch x := v.(type) {
		case string:
			n += len(x)
		case map[string]any:
			for k, e := range x {
				n += len(k)
				walk(e, depth+1)
			}
		case []any:
			n += 8
			for _, e := range x {
				walk(e, depth+1)
			}
		default:
			n += 8
		}
	}
	walk(v, 0)
	return n, n <= limit
}

// inspectRule checks a rule's text against the static limits: length,
// syntax nodes, nesting, functions (RuleFunctions only), ranges (whole
// numbers written in the rule, at most MaxRuleRange elements) and
// matches patterns (written in the rule).
func inspectRule(rule string) error {
	if len(rule) > MaxRuleLength {
		return fmt.Errorf("the rule is %d bytes long; the limit is %d", len(rule), MaxRuleLength)
	}
	cfg := conf.CreateNew()
	cfg.MaxNodes = MaxRuleNodes
	for name := range cfg.Builtins {
		if !slices.Contains(RuleFunctions, name) {
			cfg.Disabled[name] = true
		}
	}
	tree, err := exprparser.ParseWithConfig(rule, cfg)
	if err != nil {
		msg, _, _ := strings.Cut(err.Error(), "\n")
		if strings.Contains(msg, "maximum allowed nodes") {
			return fmt.Errorf("the rule has more than %d parts (names, values and operators); split it or simplify it", MaxRuleNodes)
		}
		return errors.New(strings.TrimSpace(msg))
	}
	in := &ruleInspector{}
	if d := in.depth(tree.Node); d > MaxRuleDepth {
		return fmt.Errorf("the rule nests %d levels deep; the limit is %d", d, MaxRuleDepth)
	}
	ast.Walk(&tree.Node, in)
	if in.err != nil {
		return in.err
	}
	return nil
}

type ruleInspector struct{ err error }

func (in *ruleInspector) fail(n ast.Node, format string, args ...any) {
	if in.err == nil {
		in.err = fmt.Errorf("%s (at character %d of the rule)", fmt.Sprintf(format, args...), n.Location().From+1)
	}
}

func (in *ruleInspector) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.CallNode:
		name := "a computed function"
		if id, ok := n.Callee.(*ast.IdentifierNode); ok {
			name = id.Value
		}
		if !slices.Contains(RuleFunctions, name) {
			in.fail(n, "%s is not one of the functions rules may use (%s)", name, strings.Join(RuleFunctions, ", "))
		}
	case *ast.BuiltinNode:
		if !slices.Contains(RuleFunctions, n.Name) {
			in.fail(n, "%s is not one of the functions rules may use (%s)", n.Name, strings.Join(RuleFunctions, ", "))
		}
	case *ast.IdentifierNode:
		if strings.HasPrefix(n.Value, "__") {
			in.fail(n, "names starting with __ are reserved")
		}
	case *ast.MemberNode:
		if n.Method {
			in.fail(n, "rules may not call methods")
		}
	case *ast.BinaryNode:
		switch n.Operator {
		case "..":
			lo, okLo := intLiteral(n.Left)
			hi, okHi := intLiteral(n.Right)
			switch {
			case !okLo || !okHi:
				in.fail(n, "both ends of a range must be whole numbers written in the rule")
			case hi-lo+1 > MaxRuleRange:
				in.fail(n, "the range %d..%d has %d elements; the limit is %d", lo, hi, hi-lo+1, MaxRuleRange)
			}
		case "matches":
			if _, ok := n.Right.(*ast.StringNode); !ok {
				in.fail(n, "the pattern of matches must be a string written in the rule")
			}
		}
	case *ast.SequenceNode:
		in.fail(n, "a rule is one expression; ; is not allowed")
	case *ast.BytesNode:
		in.fail(n, "byte strings are not allowed in rules")
	}
}

// intLiteral reads a whole number written in the rule, negative ones
// included.
func intLiteral(n ast.Node) (int, bool) {
	switch x := n.(type) {
	case *ast.IntegerNode:
		return x.Value, true
	case *ast.UnaryNode:
		if v, ok := intLiteral(x.Node); ok && x.Operator == "-" {
			return -v, true
		}
	}
	return 0, false
}

// depth is how deep n's syntax nests.
func (in *ruleInspector) depth(n ast.Node) int {
	if n == nil {
		return 0
	}
	deepest := 0
	for _, c := range children(n) {
		deepest = max(deepest, in.depth(c))
	}
	return deepest + 1
}

func children(n ast.Node) []ast.Node {
	switch x := n.(type) {
	case *ast.UnaryNode:
		return []ast.Node{x.Node}
	case *ast.BinaryNode:
		return []ast.Node{x.Left, x.Right}
	case *ast.ChainNode:
		return []ast.Node{x.Node}
	case *ast.MemberNode:
		return []ast.Node{x.Node, x.Property}
	case *ast.SliceNode:
		return []ast.Node{x.Node, x.From, x.To}
	case *ast.CallNode:
		return append([]ast.Node{x.Callee}, x.Arguments...)
	case *ast.BuiltinNode:
		return x.Arguments
	case *ast.PredicateNode:
		return []ast.Node{x.Node}
	case *ast.VariableDeclaratorNode:
		return []ast.Node{x.Value, x.Expr}
	case *ast.SequenceNode:
		return x.Nodes
	case *ast.ConditionalNode:
		return []ast.Node{x.Cond, x.Exp1, x.Exp2}
	case *ast.ArrayNode:
		return x.Nodes
	case *ast.MapNode:
		return x.Pairs
	case *ast.PairNode:
		return []ast.Node{x.Key, x.Value}
	}
	return nil
}
