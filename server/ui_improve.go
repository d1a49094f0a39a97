package server

// Improvement teams: pilots, the PDCA board, proposals, and the KPI dashboard.
var uiImprovePages = []uiPage{}
