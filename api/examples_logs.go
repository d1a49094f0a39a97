package api

import (
	"time"

	"github.com/flowlab/flowlab/apiv1"
)

// Examples of the event log operations (issue 17), figures of the kind the
// Helpdesk log gives.

var (
	exampleLogFirst = time.Date(2010, 1, 13, 8, 40, 25, 0, time.UTC)
	exampleLogLast  = time.Date(2014, 1, 3, 13, 20, 58, 0, time.UTC)
	exampleLogAt    = time.Date(2026, 12, 6, 9, 30, 0, 0, time.UTC)

	exampleLogMapping = apiv1.LogMapping{Case: "Case ID", Activity: []string{"Activity"}, Time: "Complete Timestamp", Resource: "Resource"}

	exampleEventLog = apiv1.EventLog{ID: "5b0c2f7e-9d1a-4c3b-8e6f-2a1d0c9b8e7f", Name: "Helpdesk 2010–2014", Status: apiv1.LogReady,
		Source: "helpdesk.csv", Format: "csv", Cases: 4580, Events: 21348, First: &exampleLogFirst, Last: &exampleLogLast,
		Report: &apiv1.LogReport{Format: "csv", Layout: "yyyy/MM/dd HH:mm:ss.SSS", Mapping: exampleLogMapping, Cases: 4580, Events: 21348,
			Problems: []apiv1.LogProblem{}},
		CreatedBy: "olivia", CreatedAt: exampleLogAt, UpdatedAt: exampleLogAt}

	exampleLogPreview = apiv1.LogPreview{Format: "csv", Columns: []string{"Case ID", "Activity", "Resource", "Complete Timestamp"},
		Mapping: exampleLogMapping, Layout: "yyyy/MM/dd HH:mm:ss.SSS", TimeZone: "UTC",
		Events: []apiv1.LogEvent{{Case: "Case 1", Activity: "Assign seriousness", Time: time.Date(2012, 10, 9, 14, 50, 17, 0, time.UTC),
			Resource: "Value 1", Line: 2}},
		Read: 3, Problems: []apiv1.LogProblem{}, Complete: true}

	exampleLogSummary = apiv1.LogSummary{Log: exampleEventLog, Cases: 4580, Events: 21348, Activities: 14, Resources: 22, Variants: 226,
		First: &exampleLogFirst, Last: &exampleLogLast,
		CycleTime: apiv1.LogCycleTimes{LogQuantiles: apiv1.LogQuantiles{N: 4580, P50: 3_540_000, P90: 8_050_000, P95: 9_860_000},
			Min: 0, Max: 51_000_000, Buckets: []apiv1.LogBucket{{UpTo: 3600, Cases: 112}, {UpTo: 86400, Cases: 301}}}}

	exampleLogVariants = apiv1.LogVariantList{Variants: []apiv1.LogVariant{{Rank: 1,
		Activities: []string{"Assign seriousness", "Take in charge ticket", "Resolve ticket", "Closed"}, Cases: 1979, Share: 0.432,
		CycleP50: 2_980_000}}, Total: 226, Cases: 4580, NextCursor: "eyJvIjo1MH0"}

	exampleLogCases = apiv1.LogCaseList{Cases: []apiv1.LogCase{{ID: "Case 1", Variant: 1, Events: 4, First: exampleLogFirst,
		Last: exampleLogFirst.Add(35 * 24 * time.Hour), CycleTime: 35 * 86400}}, Total: 1979}

	exampleLogMap = apiv1.LogMap{Start: "▶ start", End: "■ end", Activities: 1, ActivitiesTotal: 14, Paths: 2, PathsTotal: 103,
		Nodes: []apiv1.LogNode{{Activity: "▶ start", Count: 4580, Cases: 4580}, {Activity: "Closed", Count: 4557, Cases: 4557},
			{Activity: "■ end", Count: 4580, Cases: 4580}},
		Edges: []apiv1.LogEdge{{From: "Closed", To: "■ end", Count: 4557}, {From: "▶ start", To: "Closed", Count: 3}}}

	exampleLogActivities = apiv1.LogActivities{Cases: 4580, Activities: []apiv1.LogActivity{{Activity: "Closed", Count: 4557, Cases: 4557,
		Wait: apiv1.LogQuantiles{N: 4554, P50: 1_728_000, P90: 1_900_000, P95: 2_100_000}, Share: 0.41, Bottleneck: true}}}

	exampleLogComparison = apiv1.LogComparison{LogID: exampleEventLog.ID, Flow: "complaint", Version: 2,
		Mapping: []apiv1.MappedActivity{{Activity: "Resolve ticket", Step: "investigate"}},
		Steps: []apiv1.CompareStep{{Step: "investigate", Activities: []string{"Resolve ticket"},
			Before:     apiv1.CompareSide{Cases: 4580, Events: 4983, Wait: apiv1.LogQuantiles{N: 4983, P50: 52_000, P90: 18_000 * 10, P95: 260_000}, Share: 0.41, Rework: 0.08, ReworkCases: 366},
			After:      apiv1.CompareSide{Cases: 212, Events: 219, Wait: apiv1.LogQuantiles{N: 219, P50: 1_800, P90: 2_400, P95: 3_100}, Work: apiv1.LogQuantiles{N: 219, P50: 900, P90: 2_000, P95: 2_600}, Share: 0.35, Rework: 0.03, ReworkCases: 7},
			WaitRatio:  apiv1.CompareChange{Estimate: ptr(0.04), Low: ptr(0.03), High: ptr(0.05), P: ptr(0.0)},
			WorkRatio:  apiv1.CompareChange{},
			ReworkDiff: apiv1.CompareChange{Estimate: ptr(-0.05), Low: ptr(-0.08), High: ptr(-0.02), P: ptr(0.001)}}},
		Cycle: apiv1.CompareCycle{Before: apiv1.LogQuantiles{N: 4580, P50: 3_540_000, P90: 8_050_000, P95: 9_860_000},
			After: apiv1.LogQuantiles{N: 212, P50: 14_400, P90: 30_000, P95: 41_000}, Ratio: apiv1.CompareChange{Estimate: ptr(0.004), Low: ptr(0.003), High: ptr(0.005), P: ptr(0.0)}},
		UnmappedActivities: []string{"Closed"}, UnmappedSteps: []string{}, Spans: 1290}

	exampleLogHandoffs = apiv1.LogHandoffs{Cases: 4580, Resources: []apiv1.LogHandoff{{From: "Value 1", To: "Value 2", Count: 1200, Cases: 1100}},
		Groups: []apiv1.LogHandoff{}, PerCaseResources: apiv1.LogPerCase{Mean: 1.2, P50: 1, P90: 2, P95: 3}}
)

// Examples of draftFlowFromLog (decision 0032), the Helpdesk log's draft.
var (
	exampleDraftFlowRequest = apiv1.DraftFlowRequest{Key: "helpdesk", Name: "Helpdesk", Coverage: 0.9,
		DepartmentOf: map[string]string{"Value 1": "first_line"}, DefaultDepartment: "service"}

	exampleDraftFlow = apiv1.DraftFlow{YAML: "# Drafted by flowlab from the event log \"Helpdesk\" (decision 0032): check it, then publish.\n" +
		"key: helpdesk\nname: \"Helpdesk\"\ndepartments: [first_line, service]\nsla: 53d1h\nsteps:\n" +
		"  # Assign seriousness: 4,495 of 4,580 cases (98.1 %) pass here; waiting p90 8 d 04 h (706,730 s) in the log → sla 8d5h\n" +
		"  - id: assign_seriousness\n    kind: task\n    name: \"Assign seriousness\"\n    department: first_line\n    sla: 8d5h\n" +
		"    outcomes:\n      - name: to_take_in_charge_ticket  # 3,832 times in the kept cases\n        next: take_in_charge_ticket\n" +
		"  …\n",
		Key: "helpdesk", Variants: 21, VariantsTotal: 226, Cases: 4580, CoveredCases: 4134, Coverage: 0.9026, Activities: 8,
		ActivitiesTotal: 14, Steps: 10, Diagnostics: []apiv1.Diagnostic{}}
)
