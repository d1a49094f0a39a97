package report

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"regexp"
	"strings"

	"github.com/flowlab/flowlab/apiv1"
)

// The heat map of a version is the flow page's drawing: graph.svg with
// heat=share over the pack's period, laid out by Graphviz in the server's
// bounded child process (decision 0019). The caller fetches it (the CLI
// from the API, the web UI in process) and the document carries it inline.

// HeatMetric is the metric the heat maps colour the steps by: the share of
// the cycle time, which marks the bottleneck.
const HeatMetric = "share"

// GraphParams are the graph.svg parameters of version's heat map in the
// pack: heat share over the pack's period, the colour scale from the data.
func GraphParams(pack apiv1.ReviewPack, version int) apiv1.GraphSVGParams {
	return apiv1.GraphSVGParams{Key: pack.Flow, Version: fmt.Sprint(version), Heat: HeatMetric, From: pack.From, To: pack.To}
}

// FetchGraphs asks fetch for the heat map of every version of the pack's
// bottlenecks. A drawing the server refuses (too large, busy) or that
// cannot be fetched is no error: the document says why beside the table,
// which has the same figures. Only the context's end stops it.
func FetchGraphs(ctx context.Context, pack apiv1.ReviewPack, fetch func(context.Context, apiv1.GraphSVGParams) ([]byte, error)) (map[int]Graph, error) {
	out := map[int]Graph{}
	for _, b := range pack.Bottlenecks {
		svg, err := fetch(ctx, GraphParams(pack, b.Version))
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("heat map of v%d: %w", b.Version, ctx.Err())
			}
			out[b.Version] = Graph{Missing: missingReason(err)}
			continue
		}
		out[b.Version] = Graph{SVG: svg}
	}
	return out, nil
}

// missingReason says why a drawing is missing, from the API's problem
// when there is one.
func missingReason(err error) string {
	var p *apiv1.Problem
	if errors.As(err, &p) && p.Detail != "" {
		return p.Detail
	}
	return err.Error()
}

var (
	svgComment = regexp.MustCompile(`(?s)<!--.*?-->`)
	// What an SVG drawn inline must not hold: script, foreign content,
	// links and loads of anything, event handlers, style sheets.
	svgForbidden = regexp.MustCompile(`(?i)<\s*(script|foreignobject|iframe|image|use|style|link)\b|\bhref\s*=|url\s*\(|@import|javascript:|\son[a-z]+\s*=|\sstyle\s*=`)
	svgID        = regexp.MustCompile(`\sid="`)
)

// inlineSVG is a Graphviz drawing ready to sit in the document: from its
// <svg> element on (the XML declaration, doctype and comments dropped),
// its ids prefixed so that two drawings do not share one; an error when it
// holds anything that could run or load (then it is not embedded).
func inlineSVG(svg []byte, idPrefix string) (template.HTML, error) {
	s := string(svg)
	i := strings.Index(s, "<svg")
	if i < 0 {
		return "", errors.New("the answer is not an SVG drawing")
	}
	s = svgComment.ReplaceAllString(s[i:], "")
	if m := svgForbidden.FindString(s); m != "" {
		return "", fmt.Errorf("the drawing holds %q, which a self-contained document may not", strings.TrimSpace(m))
	}
	s = svgID.ReplaceAllString(s, ` id="`+idPrefix)
	return template.HTML(strings.TrimSpace(s)), nil //nolint:gosec // checked above: nothing that runs or loads
}
