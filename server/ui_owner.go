package server

// Process owners: flows, versions, the YAML editor, diffs, the graph with its heat map, step statistics, trends and migrations.
var uiOwnerPages = []uiPage{}
