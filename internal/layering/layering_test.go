// Package layering enforces the import rules of
// docs/architecture.md#which-way-imports-point: imports point one way,
// workflow code never reaches the store, and the pure packages import
// nothing of flowlab's.
package layering

import (
	"go/build"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/flowlab/flowlab/"

// allowed lists, per package (and its subpackages unless listed on their
// own: the longest key that is the package or a parent of it is its row),
// the flowlab packages its non-test files may import. A package missing
// from this table fails the test: new packages must take a place.
var allowed = map[string][]string{
	"flow":      {},
	"analytics": {},
	// alert is the pure model of alert rules (decision 0040).
	"alert":     {},
	"flows":     {"flow"},
	"flowgraph": {"flow", "analytics", "readable"},
	"dotlayout": {},
	"workflows": {"flow"},
	"store":     {"store", "flow", "analytics", "alert"},
	// The stores' conformance suite, run by both implementations' tests.
	"storetest": {"store", "flow", "analytics", "alert"},
	"stats":     {},
	// sim simulates a flow's operation (issue 22): pure, deterministic for a seed.
	"sim":        {"stats"},
	"experiment": {"stats"},
	"discovery":  {"stats", "flow"},
	"logimport":  {"eventlog", "discovery", "store"},
	// beforeafter sets a log beside a flow's spans (issue 18).
	"beforeafter": {"analytics", "discovery", "stats"},
	"pilotdata":   {"store", "experiment", "stats"},
	// demohistory writes simulated history through the store (decision 0044).
	"demohistory": {"store", "flow", "flows", "sim", "workflows", "pilotdata"},
	// kpi computes every service and flow number (decisions 0015, 0040).
	"kpi": {"store", "pilotdata", "experiment", "stats", "apiv1", "alert", "analytics", "flow"},
	// simcal calibrates sim from the store and compares what-ifs
	// (decision 0045).
	"simcal": {"sim", "store", "flow", "stats", "apiv1", "experiment", "discovery", "flowdraft"},
	"activities": {"store", "flow", "workflows", "experiment", "stats", "pilotdata", "obs", "internal/egress", "alert", "kpi",
		// the what-if simulations (decision 0045), calibrated from spans
		// or an imported log.
		"simcal", "apiv1", "logimport"},
	"worker":    {"workflows", "activities"},
	"apiv1":     {"flow", "experiment"},
	"flowdraft": {"discovery", "flow", "readable"},
	// report renders a review pack as one HTML document (decision 0042):
	// the API's answer in, HTML out; never the store or the API.
	"report": {"apiv1", "experiment", "flowgraph", "readable"},
	// notify delivers notifications beyond the app (decision 0037).
	"notify": {"store", "flow", "readable", "internal/egress"},
	// server assembles the API and the web UI on one router.
	"server": {"obs", "api", "web", "internal/httpx"},
	// The API: its handlers reach the store and, through engine, Temporal.
	"api": {"apiv1", "store", "flow", "flows", "flowgraph", "dotlayout", "analytics", "workflows", "experiment",
		"stats", "pilotdata", "obs", "readable", "internal/httpx", "internal/authz", "internal/graphview",
		"eventlog", "discovery", "logimport", "beforeafter", "flowdraft", "kpi",
		// notify.Render: the one wording of a notification, in the app and
		// by email and webhook (decision 0037).
		"notify",
		// the model of alert rules (decision 0040).
		"alert",
		// the what-if simulations' requests (decision 0045).
		"simcal",
		// flowlab dev's simulated history (decision 0044).
		"demohistory"},
	"api/engine":            {"workflows"},
	"api/engine/enginetest": {"api/engine", "store", "flow", "workflows", "experiment", "pilotdata", "activities"},
	// The web UI reads and changes data only through the API (apiv1's
	// types, called in process): never the store, never api.
	"web": {"apiv1", "flow", "flowgraph", "readable", "experiment",
		"internal/httpx", "internal/authz", "internal/graphview",
		// the review pack's document (decision 0042).
		"report"},
	// What the API and the web UI share; none of it reaches back up into
	// server, api or web.
	"internal/authz":     {"apiv1"},
	"internal/httpx":     {"apiv1", "store", "internal/authz"},
	"internal/graphview": {"apiv1", "flow", "flowgraph", "internal/httpx"},
	"internal/egress":    {"flow"}, // dialling untrusted URLs: activities' and notify's webhooks
	// A real OpenID provider in process (zitadel/oidc's op) for the
	// sign-in tests of web and e2e (decision 0038); only tests import it.
	"internal/oidctest": {},
	"server/apitest":    {},
	"server/servertest": {"apiv1", "store", "store/sqlite", "api/engine/enginetest", "server/apitest"},
	"searchattr":        {},
	"obs":               {},
	"codec":             {},
	"devserver":         {},
	"cmd":               {"*"},
	"e2e":               {"*"},
	"bench":             {"*"},
	"internal":          {},
	"readable":          {},
	"eventlog":          {},
}

func TestImportsPointOneWay(t *testing.T) {
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	checked := 0
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
			return filepath.SkipDir
		}
		pkg, err := build.ImportDir(path, 0)
		if err != nil {
			return nil // no Go files here
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		top := rowOf(rel)
		rules, ok := allowed[top]
		require.True(t, ok, "package %s has no place in the layering table; add it to allowed", rel)
		checked++
		for _, imp := range pkg.Imports {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			target := strings.TrimPrefix(imp, module)
			if !permitted(rules, top, target) {
				t.Errorf("%s imports %s; %s may import only %v", rel, target, top, rules)
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, checked, 10, "the walk should see every package")
}

// rowOf is the key of the table that governs the package at rel: the
// longest key that is rel or a parent directory of it ("" when none).
func rowOf(rel string) string {
	best := ""
	for k := range allowed {
		if (rel == k || strings.HasPrefix(rel, k+"/")) && len(k) > len(best) {
			best = k
		}
	}
	return best
}

// permitted reports whether a package under top may import target.
func permitted(rules []string, top, target string) bool {
	if strings.HasPrefix(target, top+"/") || target == top {
		return true // within itself
	}
	targetTop := strings.Split(target, "/")[0]
	for _, r := range rules {
		if r == "*" || r == target || (r == targetTop && !strings.Contains(target, "/")) {
			return true
		}
	}
	return false
}

func TestTableNamesKnownPackages(t *testing.T) {
	// Every rule names a package that has a row (its own or a parent's).
	keys := make([]string, 0, len(allowed))
	for k := range allowed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, r := range allowed[k] {
			if r == "*" {
				continue
			}
			require.NotEmpty(t, rowOf(r), "rule of %s names unknown package %s", k, r)
		}
	}
}
