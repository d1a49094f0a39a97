package flow_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/flow"
)

var wantRe = regexp.MustCompile(`^# want: (\d+):(\d+) ([a-z]+(?:-[a-z]+)*)$`)

// invalidFile is one file of testdata/invalid and the diagnostics its
// leading "# want: line:column code" comments expect.
type invalidFile struct {
	name string
	src  []byte
	want []string // "line:column code"
}

func loadInvalidCorpus(t testing.TB) []invalidFile {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.yaml"))
	require.NoError(t, err)
	var out []invalidFile
	for _, p := range paths {
		src, err := os.ReadFile(p)
		require.NoError(t, err)
		f := invalidFile{name: filepath.Base(p), src: src}
		for _, line := range strings.Split(string(src), "\n") {
			if !strings.HasPrefix(line, "# want:") {
				break
			}
			m := wantRe.FindStringSubmatch(line)
			require.NotNil(t, m, "%s: malformed want line %q", f.name, line)
			f.want = append(f.want, m[1]+":"+m[2]+" "+m[3])
		}
		require.NotEmpty(t, f.want, "%s: the first line must be a \"# want: line:column code\" comment", f.name)
		require.Regexp(t, `^\d\d-[a-z0-9-]+\.yaml$`, f.name)
		out = append(out, f)
	}
	return out
}

// TestInvalidCorpus loads every file of testdata/invalid and requires
// exactly the diagnostics its want comments list: every error, and the
// warnings whose code is listed.
func TestInvalidCorpus(t *testing.T) {
	t.Parallel()
	corpus := loadInvalidCorpus(t)
	require.GreaterOrEqual(t, len(corpus), 30)
	for _, f := range corpus {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			d, diags := flow.Load(f.src, flow.ValidateOptions{})
			require.Nil(t, d, "an invalid flow must not load")
			listed := map[string]bool{}
			for _, w := range f.want {
				listed[w[strings.IndexByte(w, ' ')+1:]] = true
			}
			var got []string
			for _, dg := range diags {
				if dg.Severity == flow.SeverityError || listed[dg.Code] {
					got = append(got, fmt.Sprintf("%d:%d %s", dg.Line, dg.Column, dg.Code))
				}
			}
			require.Equal(t, f.want, got, "all diagnostics:\n%s", diags.Error())
		})
	}
}

// generatedOnly are codes whose documents are too big to commit; they are
// checked on generated documents in TestGeneratedOnlyCodes.
var generatedOnly = []string{"too-large", "too-many"}

// TestInvalidCorpusCoversEveryCode reads the codes the parser and the
// validator can report from their source and requires a corpus file for
// each, so a new check cannot land without one.
func TestInvalidCorpusCoversEveryCode(t *testing.T) {
	t.Parallel()
	codes := diagnosticCodes(t)
	require.Contains(t, codes, "unknown-target", "the scan of the sources found codes")
	covered := map[string]bool{}
	for _, f := range loadInvalidCorpus(t) {
		for _, w := range f.want {
			covered[w[strings.IndexByte(w, ' ')+1:]] = true
		}
	}
	var missing []string
	for _, c := range codes {
		if !covered[c] && !slices.Contains(generatedOnly, c) {
			missing = append(missing, c)
		}
	}
	require.Empty(t, missing, "codes without a file in testdata/invalid")
	for c := range covered {
		require.Contains(t, codes, c, "the corpus expects a code no source reports")
	}
}

// diagnosticCodes finds every code passed to the parser's and the
// validator's reporting helpers or set in a Diagnostic literal.
func diagnosticCodes(t *testing.T) []string {
	t.Helper()
	// Index of the code argument per helper, by receiver name.
	codeArg := map[string]int{"p.errorf": 2, "v.errorf": 1, "v.add": 3}
	fset := token.NewFileSet()
	paths, err := filepath.Glob("*.go")
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, p, nil, 0)
		require.NoError(t, err)
		ast.Inspect(file, func(n ast.Node) bool {
			var lit ast.Expr
			switch n := n.(type) {
			case *ast.CallExpr:
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				recv, ok := sel.X.(*ast.Ident)
				if !ok {
					return true
				}
				i, ok := codeArg[recv.Name+"."+sel.Sel.Name]
				if !ok {
					return true
				}
				require.Greater(t, len(n.Args), i, "%s", fset.Position(n.Pos()))
				lit = n.Args[i]
				if id, ok := lit.(*ast.Ident); ok && id.Name == "code" {
					return true // one helper passing its code on to another
				}
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); !ok || k.Name != "Code" {
					return true
				}
				if id, ok := n.Value.(*ast.Ident); ok && id.Name == "code" {
					return true // inside a reporting helper
				}
				lit = n.Value
			default:
				return true
			}
			b, ok := lit.(*ast.BasicLit)
			require.True(t, ok && b.Kind == token.STRING, "%s: a diagnostic code must be a string literal", fset.Position(lit.Pos()))
			c, err := strconv.Unquote(b.Value)
			require.NoError(t, err)
			seen[c] = true
			return true
		})
	}
	var out []string
	for c := range seen {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// TestGeneratedOnlyCodes covers the codes whose documents are too large to
// commit to the corpus.
func TestGeneratedOnlyCodes(t *testing.T) {
	t.Parallel()
	big := []byte("key: demo\nversion: 1\n# " + strings.Repeat("x", flow.MaxSourceSize) + "\n")
	d, diags := flow.Load(big, flow.ValidateOptions{})
	require.Nil(t, d)
	require.Len(t, diags, 1)
	require.Equal(t, "too-large", diags[0].Code)
	require.Equal(t, 1, diags[0].Line)

	var b strings.Builder
	b.WriteString("key: demo\nversion: 1\nsteps:\n  - id: closed\n    kind: end\n")
	for i := range flow.MaxDiagnostics + 5 {
		fmt.Fprintf(&b, "    extra%d: x\n", i)
	}
	d, diags = flow.Load([]byte(b.String()), flow.ValidateOptions{})
	require.Nil(t, d)
	require.Len(t, diags, flow.MaxDiagnostics+1)
	last := diags[len(diags)-1]
	require.Equal(t, "too-many", last.Code)
	require.Equal(t, "5 more problems not shown; fix the ones above first", last.Message)
	require.Equal(t, diags[len(diags)-2].Line, last.Line)
}
