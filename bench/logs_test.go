package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLogsQuick(t *testing.T) {
	res := quickRun(t, "logs")
	require.Len(t, res.Rows, 2, "CSV and XES of one size in quick mode")
	data := res.Data.(map[string]any)
	export := data["spans_export"].(map[string]any)
	require.EqualValues(t, 20_000, export["spans"])
	require.Positive(t, export["xes_s"])
	require.Positive(t, export["peak_rss_mib"])
	rows := data["imports"].([]any)
	for _, r := range rows {
		row := r.(map[string]any)
		require.EqualValues(t, 20_000, row["events"])
		require.Positive(t, row["import_s"])
		require.Positive(t, row["floor_s"])
		require.Positive(t, row["peak_rss_mib"])
		views := row["views_ms"].(map[string]any)
		require.Len(t, views, 6, "every view measured")
	}
}
