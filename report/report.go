// Package report renders a review pack (apiv1.ReviewPack, the answer of
// GET /api/v1/reports/monthly and /quarterly) as one self-contained,
// printable HTML document (decision 0042): its style inline, its charts and
// heat maps inline SVG, no script, no font, no image or link to anything
// outside it, and print rules for A4 with a page per section. The CLI
// (flowlab report) and the web UI (/ui/reports) both call it on the API's
// answer, so the document shows the API's numbers and nothing else.
//
// It imports apiv1 for the pack's types, flowgraph for the heat scale of
// the flow page and readable for how numbers read; never the store or the
// API.
package report

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/flowlab/flowlab/apiv1"
)

//go:embed report.css
var css string

//go:embed report.html
var page string

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{"args": changesArgs}).Parse(page))

// changesBlock is one table of the changes section.
type changesBlock struct {
	Title  string
	Rows   []changeRow
	Public bool
	TestID string
}

func changesArgs(title string, rows []changeRow, public bool, testID string) changesBlock {
	return changesBlock{Title: title, Rows: rows, Public: public, TestID: testID}
}

// Graph is the heat map of one version of the pack's bottlenecks: the SVG
// graph.svg answered (GraphParams), or why there is none.
type Graph struct {
	SVG     []byte
	Missing string
}

// Options are what the document holds beyond the pack.
type Options struct {
	// Graphs are the heat maps by version (FetchGraphs); a version
	// without one shows its table alone and says why.
	Graphs map[int]Graph
}

// Render writes the document of pack to w.
func Render(w io.Writer, pack apiv1.ReviewPack, opt Options) error {
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, build(pack, opt)); err != nil {
		return fmt.Errorf("report: render %s %s of %s: %w", pack.Kind, pack.Period, pack.Flow, err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("report: write: %w", err)
	}
	return nil
}

// HTML is the document of pack.
func HTML(pack apiv1.ReviewPack, opt Options) ([]byte, error) {
	var buf bytes.Buffer
	if err := Render(&buf, pack, opt); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ContentSecurityPolicy is the policy to serve the document with: its own
// style sheet (by its hash) and nothing else: no script, no image, font,
// frame or connection, no form.
func ContentSecurityPolicy() string {
	sum := sha256.Sum256([]byte(css))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

// Filename is a file name for the document: complaint-2026-11-review.html,
// complaint-2026-Q4-public-review.html.
func Filename(pack apiv1.ReviewPack) string {
	name := pack.Flow + "-" + pack.Period
	if pack.Variant == apiv1.ReviewPublic {
		name += "-public"
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '-'
	}, name) + "-review.html"
}
