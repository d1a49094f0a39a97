package apiv1

import "time"

// Event logs (issue 17; decisions 0028–0030): the history of a helpdesk,
// CRM or ticketing system imported from its CSV or XES export, and what it
// says about the process as it really runs. Every number of these types is
// defined once, in decision 0029, and computed by package discovery.

// Log statuses.
const (
	LogImporting = "importing"
	LogReady     = "ready"
)

// Map views of renderLogMap.
const (
	LogMapFrequency   = "frequency"
	LogMapPerformance = "performance"
)

// LogMapping says which column (CSV) or attribute key (XES) holds each
// field of an event; what is left empty is detected from the usual names.
type LogMapping struct {
	Case      string   `json:"case" description:"The case id's column." example:"Case ID"`
	Activity  []string `json:"activity" nullable:"false" description:"The activity's column, or two columns whose values are joined (concept:name and lifecycle:transition, say)."`
	Time      string   `json:"time" description:"The (completion) timestamp's column."`
	Start     string   `json:"start,omitempty" description:"The start timestamp's column, when the log has one."`
	Resource  string   `json:"resource,omitempty"`
	Group     string   `json:"group,omitempty" description:"The department or group's column."`
	Lifecycle string   `json:"lifecycle,omitempty" description:"The lifecycle column (start, complete, or statuses kept as attributes)."`
}

// LogProblem is a bad row of a log: where it is, which column, and what
// is wrong.
type LogProblem struct {
	Line    int    `json:"line" description:"The line where the CSV row or the XES event starts, from 1."`
	Trace   int    `json:"trace,omitempty" description:"XES: the trace's number in the log, from 1."`
	Event   int    `json:"event,omitempty" description:"XES: the event's number in its trace, from 1."`
	Column  string `json:"column,omitempty" description:"The column (CSV) or attribute key (XES)."`
	Message string `json:"message"`
}

// LogAttr is an attribute of an event or a case.
type LogAttr struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// LogEvent is one event as the reader parsed it (previewLog) or as the log
// holds it (listLogCases).
type LogEvent struct {
	Case      string     `json:"case,omitempty"`
	Activity  string     `json:"activity"`
	Time      time.Time  `json:"time" description:"The (completion) time, UTC."`
	Start     *time.Time `json:"start,omitempty" description:"The start time, UTC, when the log pairs one with the completion."`
	Resource  string     `json:"resource,omitempty"`
	Group     string     `json:"group,omitempty"`
	Lifecycle string     `json:"lifecycle,omitempty"`
	Attrs     []LogAttr  `json:"attrs,omitempty"`
	Line      int        `json:"line,omitempty" description:"Where the event is in the file."`
}

// LogPreview is what a log would import as (previewLog): the detected
// format, mapping and timestamp layout, the first events as parsed, the
// counts so far and every problem found so far. It stores nothing.
type LogPreview struct {
	Format   string       `json:"format" enum:"csv,xes"`
	Gzipped  bool         `json:"gzipped"`
	Columns  []string     `json:"columns" nullable:"false" description:"The CSV header, or the XES event attribute keys seen."`
	Mapping  LogMapping   `json:"mapping"`
	Layout   string       `json:"layout" description:"The timestamp layout read (detected unless given)."`
	TimeZone string       `json:"time_zone" description:"The IANA zone naive timestamps are read in."`
	Events   []LogEvent   `json:"events" nullable:"false"`
	Read     int          `json:"read" description:"Events read."`
	Bad      int          `json:"bad" description:"Bad rows among the rows read."`
	Problems []LogProblem `json:"problems" nullable:"false"`
	Complete bool         `json:"complete" description:"The preview read the whole file."`
	Error    string       `json:"error,omitempty" description:"Why the file cannot be read on (a column the mapping lacks, an ambiguous timestamp layout): set what it asks for and preview again."`
}

// LogReport is what an import found.
type LogReport struct {
	Format   string       `json:"format" enum:"csv,xes"`
	Gzipped  bool         `json:"gzipped"`
	Layout   string       `json:"layout"`
	Mapping  LogMapping   `json:"mapping"`
	Cases    int          `json:"cases"`
	Events   int          `json:"events" description:"Events of the log: a start paired with its completion is one (decision 0029)."`
	Read     int          `json:"read" description:"Events the file held, before starts and completions were paired."`
	Skipped  int          `json:"skipped" description:"Bad rows skipped (skip_bad_rows)."`
	Problems []LogProblem `json:"problems" nullable:"false" description:"The first bad rows skipped."`
}

// LogProgress is how far a running import has come.
type LogProgress struct {
	Bytes  int64 `json:"bytes" description:"Bytes of the file read so far (as sent, before decompression)."`
	Events int   `json:"events" description:"Events read so far."`
}

// EventLog is an imported event log.
type EventLog struct {
	ID        string       `json:"id"`
	Name      string       `json:"name"`
	Status    string       `json:"status" enum:"importing,ready"`
	Source    string       `json:"source" description:"The file name it came from."`
	Format    string       `json:"format"`
	Cases     int          `json:"cases"`
	Events    int          `json:"events"`
	First     *time.Time   `json:"first" description:"The earliest event time (null while importing)."`
	Last      *time.Time   `json:"last" description:"The latest event time (null while importing)."`
	Report    *LogReport   `json:"report,omitempty" description:"The import's report (absent while importing)."`
	Progress  *LogProgress `json:"progress,omitempty" description:"While importing on this server: how far it has come."`
	CreatedBy string       `json:"created_by"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
}

// EventLogList is a page of logs, newest first (listLogs).
type EventLogList struct {
	Logs       []EventLog `json:"logs" nullable:"false"`
	NextCursor string     `json:"next_cursor,omitempty" description:"Pass as cursor to get the next page; absent on the last page."`
}

// RenameLogRequest is the body of renameLog.
type RenameLogRequest struct {
	Name string `json:"name" minLength:"1" maxLength:"200"`
}

// LogQuantiles are the 50th, 90th and 95th percentiles of durations in
// seconds (interpolated as PostgreSQL's percentile_cont) and how many
// durations they are of.
type LogQuantiles struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_s"`
	P90 float64 `json:"p90_s"`
	P95 float64 `json:"p95_s"`
}

// LogSummary is a (filtered) log at a glance (getLogSummary).
type LogSummary struct {
	Log        EventLog   `json:"log"`
	Filtered   bool       `json:"filtered" description:"A filter was applied: the figures are of the cases it kept."`
	Cases      int        `json:"cases"`
	Events     int        `json:"events"`
	Activities int        `json:"activities"`
	Resources  int        `json:"resources"`
	Variants   int        `json:"variants"`
	First      *time.Time `json:"first"`
	Last       *time.Time `json:"last"`
	Calendar   string     `json:"calendar,omitempty" description:"The business calendar business durations are counted in (flow/calendar)."`
	// CycleTime describes the cycle times (last event minus first) of the
	// cases.
	CycleTime LogCycleTimes `json:"cycle_time"`
}

// LogCycleTimes are the percentiles of cycle times, their extremes and
// their distribution.
type LogCycleTimes struct {
	LogQuantiles
	Min      float64       `json:"min_s"`
	Max      float64       `json:"max_s"`
	Buckets  []LogBucket   `json:"buckets" nullable:"false" description:"How many cases took up to each bound (and more than the bound before)."`
	Business *LogQuantiles `json:"business,omitempty" description:"The cycle times in the business calendar."`
}

// LogBucket is one bar of the cycle-time distribution.
type LogBucket struct {
	UpTo  float64 `json:"up_to_s" description:"Upper bound, inclusive, seconds."`
	Cases int     `json:"cases"`
}

// LogVariant is one sequence of activities and the cases that follow it.
type LogVariant struct {
	Rank       int      `json:"rank" description:"1 is the variant with most cases in the whole log; filter by it with variant=<rank>."`
	Activities []string `json:"activities" nullable:"false"`
	Cases      int      `json:"cases"`
	Share      float64  `json:"share" description:"Cases over the (filtered) log's cases, 0–1."`
	CycleP50   float64  `json:"cycle_p50_s" description:"Median cycle time of its cases, seconds."`
	// BusinessCycleP50 is the median in the business calendar.
	BusinessCycleP50 *float64 `json:"business_cycle_p50_s,omitempty"`
}

// LogVariantList is a page of variants by count (listLogVariants).
type LogVariantList struct {
	Variants   []LogVariant `json:"variants" nullable:"false"`
	Total      int          `json:"total" description:"Variants of the (filtered) log."`
	Cases      int          `json:"cases" description:"Cases of the (filtered) log."`
	NextCursor string       `json:"next_cursor,omitempty" description:"Pass as cursor to get the next page; absent on the last page."`
}

// LogCase is one case of a log.
type LogCase struct {
	ID          string     `json:"id"`
	Variant     int        `json:"variant" description:"The rank of its variant."`
	Events      int        `json:"events"`
	First       time.Time  `json:"first"`
	Last        time.Time  `json:"last"`
	CycleTime   float64    `json:"cycle_time_s"`
	Attrs       []LogAttr  `json:"attrs,omitempty"`
	EventDetail []LogEvent `json:"event_detail,omitempty" description:"Its events in order (with events=true)."`
}

// LogCaseList is a page of a log's cases, in the log's order
// (listLogCases).
type LogCaseList struct {
	Cases      []LogCase `json:"cases" nullable:"false"`
	Total      int       `json:"total" description:"Cases the filter keeps."`
	NextCursor string    `json:"next_cursor,omitempty" description:"Pass as cursor to get the next page; absent on the last page."`
}

// LogNode is an activity of the process map, or its artificial start or
// end.
type LogNode struct {
	Activity string `json:"activity"`
	Count    int    `json:"count" description:"Events with the activity."`
	Cases    int    `json:"cases" description:"Cases with the activity."`
}

// LogEdge is a directly-follows pair of the process map.
type LogEdge struct {
	From     string        `json:"from"`
	To       string        `json:"to"`
	Count    int           `json:"count"`
	Duration *LogQuantiles `json:"duration,omitempty" description:"Time from From's event to To's (none for the artificial start and end)."`
	// BusinessDuration is the same in the business calendar.
	BusinessDuration *LogQuantiles `json:"business_duration,omitempty"`
}

// LogMap is the directly-follows graph of a (filtered) log, simplified by
// the activity and path sliders (getLogMap).
type LogMap struct {
	Start           string    `json:"start" description:"The artificial start node's name."`
	End             string    `json:"end" description:"The artificial end node's name."`
	Activities      int       `json:"activities" description:"Activities shown, of activities_total."`
	ActivitiesTotal int       `json:"activities_total"`
	Paths           int       `json:"paths" description:"Edges shown, of paths_total."`
	PathsTotal      int       `json:"paths_total"`
	Nodes           []LogNode `json:"nodes" nullable:"false"`
	Edges           []LogEdge `json:"edges" nullable:"false"`
}

// LogActivity is one activity's figures.
type LogActivity struct {
	Activity string       `json:"activity"`
	Count    int          `json:"count"`
	Cases    int          `json:"cases"`
	Wait     LogQuantiles `json:"wait" description:"Before each event: its start (or time) minus the previous event's time in the case."`
	Work     LogQuantiles `json:"work" description:"Time minus start, for events that have a start."`
	// BusinessWait and BusinessWork are the same in the business
	// calendar.
	BusinessWait *LogQuantiles `json:"business_wait,omitempty"`
	BusinessWork *LogQuantiles `json:"business_work,omitempty"`
	Share        float64       `json:"share" description:"Its waiting and working time over that of every activity, 0–1."`
	Bottleneck   bool          `json:"bottleneck" description:"The activity with the largest share."`
	Rework       int           `json:"rework_cases" description:"Cases in which it occurs more than once."`
	PingPong     int           `json:"ping_pong_cases" description:"Cases in which it comes back after exactly one other activity (A, B, A)."`
}

// LogActivities is the per-activity table of a (filtered) log
// (getLogActivities).
type LogActivities struct {
	Cases      int           `json:"cases"`
	Activities []LogActivity `json:"activities" nullable:"false"`
}

// LogHandoff is work passed from one resource (or group) to another.
type LogHandoff struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Count int    `json:"count"`
	Cases int    `json:"cases"`
}

// LogPerCase describes a count per case.
type LogPerCase struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
}

// LogHandoffs are a (filtered) log's handoffs (getLogHandoffs).
type LogHandoffs struct {
	Cases            int          `json:"cases"`
	Resources        []LogHandoff `json:"resources" nullable:"false"`
	Groups           []LogHandoff `json:"groups" nullable:"false"`
	PerCaseResources LogPerCase   `json:"per_case_resources"`
	PerCaseGroups    LogPerCase   `json:"per_case_groups"`
}

// ImportLogParams are the parameters of importLog: the log's name and how
// to read the file (every field left out is detected).
type ImportLogParams struct {
	Name         string   `query:"name" maxLength:"200" description:"The log's name; default: the source's name." example:"Helpdesk 2010-2014"`
	Source       string   `query:"source" maxLength:"300" description:"The file's name, for people." example:"helpdesk.csv"`
	Case         string   `query:"case" maxLength:"200" description:"The case id's column (CSV) or attribute key (XES)."`
	Activity     []string `query:"activity" maxItems:"2" description:"The activity's column; given twice, the two values are joined."`
	Time         string   `query:"time" maxLength:"200" description:"The (completion) timestamp's column."`
	Start        string   `query:"start" maxLength:"200" description:"The start timestamp's column."`
	Resource     string   `query:"resource" maxLength:"200"`
	Group        string   `query:"group" maxLength:"200" description:"The department or group's column."`
	Lifecycle    string   `query:"lifecycle" maxLength:"200"`
	ActivityJoin string   `query:"activity_join" maxLength:"10" description:"What joins two activity columns' values; default +."`
	Delimiter    string   `query:"delimiter" enum:"comma,semicolon,tab,pipe" description:"The CSV delimiter; detected when left out."`
	TimeZone     string   `query:"time_zone" maxLength:"100" description:"The IANA zone naive timestamps are read in; default UTC." example:"Europe/Amsterdam"`
	TimeLayout   string   `query:"time_layout" maxLength:"100" description:"iso8601, epoch-s, epoch-ms, a pattern such as dd/MM/yyyy HH:mm:ss, or a Go layout; detected when left out."`
	SkipBadRows  string   `query:"skip_bad_rows" enum:"true,false" default:"false" description:"Skip rows without case, activity or a parseable timestamp (counted, the first ten reported) instead of failing."`
	ID           string   `query:"id" maxLength:"36" description:"The new log's id, a UUID the client chooses so that a retry is safe and the import's progress can be followed (getLog) while it runs: a retry after the import ended answers its log (200), one while it runs is a 409. Default: a new id." example:"5b0c2f7e-9d1a-4c3b-8e6f-2a1d0c9b8e7f"`
}

// PreviewLogParams are the parameters of previewLog: how to read the file,
// and how much of it.
type PreviewLogParams struct {
	Case         string   `query:"case" maxLength:"200" description:"The case id's column (CSV) or attribute key (XES)."`
	Activity     []string `query:"activity" maxItems:"2" description:"The activity's column; given twice, the two values are joined."`
	Time         string   `query:"time" maxLength:"200" description:"The (completion) timestamp's column."`
	Start        string   `query:"start" maxLength:"200" description:"The start timestamp's column."`
	Resource     string   `query:"resource" maxLength:"200"`
	Group        string   `query:"group" maxLength:"200" description:"The department or group's column."`
	Lifecycle    string   `query:"lifecycle" maxLength:"200"`
	ActivityJoin string   `query:"activity_join" maxLength:"10" description:"What joins two activity columns' values; default +."`
	Delimiter    string   `query:"delimiter" enum:"comma,semicolon,tab,pipe" description:"The CSV delimiter; detected when left out."`
	TimeZone     string   `query:"time_zone" maxLength:"100" description:"The IANA zone naive timestamps are read in; default UTC."`
	TimeLayout   string   `query:"time_layout" maxLength:"100" description:"iso8601, epoch-s, epoch-ms, a pattern such as dd/MM/yyyy HH:mm:ss, or a Go layout; detected when left out."`
	Rows         int      `query:"rows" minimum:"1" maximum:"200" default:"20" description:"Events to show."`
	All          string   `query:"all" enum:"true,false" default:"false" description:"Read the whole file, counting every event and bad row (a dry run of the import); otherwise stop after rows events."`
}

// LogIDParams are the path parameters of the operations on one log.
type LogIDParams struct {
	ID string `path:"id" description:"Log id." example:"5b0c2f7e-9d1a-4c3b-8e6f-2a1d0c9b8e7f"`
}

// ListLogsParams page the logs.
type ListLogsParams struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"50" description:"Items per page."`
	Cursor string `query:"cursor" description:"The next_cursor of the previous page, unchanged (opaque)."`
}

// LogViewParams are the filters every view of a log takes, and the
// business calendar to count durations in.
type LogViewParams struct {
	ID       string    `path:"id" description:"Log id." example:"5b0c2f7e-9d1a-4c3b-8e6f-2a1d0c9b8e7f"`
	From     time.Time `query:"from" description:"Only cases whose first event is at or after this time (RFC 3339)."`
	To       time.Time `query:"to" description:"Only cases whose first event is before this time (RFC 3339)."`
	Variant  int       `query:"variant" minimum:"1" description:"Only the cases of the variant of this rank in the whole log."`
	Attr     string    `query:"attr" maxLength:"200" description:"Only cases whose attribute attr has the value value."`
	Value    string    `query:"value" maxLength:"1000"`
	Contains []string  `query:"contains" maxItems:"20" description:"Only cases with each of these activities."`
	Excludes []string  `query:"excludes" maxItems:"20" description:"Only cases with none of these activities."`
	Calendar string    `query:"calendar" maxLength:"300" description:"Also count every duration in a business calendar: a flow's key (its default version's calendar) or key/calendar-id." example:"complaint"`
}

// LogMapParams are the parameters of getLogMap: the filters and the
// activity and path sliders.
type LogMapParams struct {
	ID         string    `path:"id" description:"Log id." example:"5b0c2f7e-9d1a-4c3b-8e6f-2a1d0c9b8e7f"`
	From       time.Time `query:"from" description:"Only cases whose first event is at or after this time (RFC 3339)."`
	To         time.Time `query:"to" description:"Only cases whose first event is before this time (RFC 3339)."`
	Variant    int       `query:"variant" minimum:"1" description:"Only the cases of the variant of this rank in the whole log."`
	Attr       string    `query:"attr" maxLength:"200" description:"Only cases whose attribute attr has the value value."`
	Value      string    `query:"value" maxLength:"1000"`
	Contains   []string  `query:"contains" maxItems:"20" description:"Only cases with each of these activities."`
	Excludes   []string  `query:"excludes" maxItems:"20" description:"Only cases with none of these activities."`
	Calendar   string    `query:"calendar" maxLength:"300" description:"Also count every duration in a business calendar: a flow's key (its default version's calendar) or key/calendar-id." example:"complaint"`
	Activities int       `query:"activities" minimum:"0" maximum:"100" default:"100" description:"Percent of the activities to keep, most frequent first (at least one)."`
	Paths      int       `query:"paths" minimum:"0" maximum:"100" default:"100" description:"Percent of the paths between kept activities to keep, most frequent first (each kept activity keeps its busiest way in and out)."`
	View       string    `query:"view" enum:"frequency,performance" default:"frequency" description:"The drawing's heat (graph.svg only): counts, or median durations."`
}

// LogPageParams are the parameters of listLogVariants and listLogCases:
// the filters and the page.
type LogPageParams struct {
	ID       string    `path:"id" description:"Log id." example:"5b0c2f7e-9d1a-4c3b-8e6f-2a1d0c9b8e7f"`
	From     time.Time `query:"from" description:"Only cases whose first event is at or after this time (RFC 3339)."`
	To       time.Time `query:"to" description:"Only cases whose first event is before this time (RFC 3339)."`
	Variant  int       `query:"variant" minimum:"1" description:"Only the cases of the variant of this rank in the whole log."`
	Attr     string    `query:"attr" maxLength:"200" description:"Only cases whose attribute attr has the value value."`
	Value    string    `query:"value" maxLength:"1000"`
	Contains []string  `query:"contains" maxItems:"20" description:"Only cases with each of these activities."`
	Excludes []string  `query:"excludes" maxItems:"20" description:"Only cases with none of these activities."`
	Calendar string    `query:"calendar" maxLength:"300" description:"Also count every duration in a business calendar: a flow's key (its default version's calendar) or key/calendar-id." example:"complaint"`
	Events   string    `query:"events" enum:"true,false" default:"false" description:"listLogCases: give each case's events."`
	Limit    int       `query:"limit" minimum:"1" maximum:"500" default:"50" description:"Items per page."`
	Cursor   string    `query:"cursor" description:"The next_cursor of the previous page, unchanged (opaque)."`
}

// DraftFlowFromLogParams are the parameters of draftFlowFromLog: the log
// and the filters of the cases to draft from.
type DraftFlowFromLogParams struct {
	ID       string    `path:"id" description:"Log id." example:"5b0c2f7e-9d1a-4c3b-8e6f-2a1d0c9b8e7f"`
	From     time.Time `query:"from" description:"Only cases whose first event is at or after this time (RFC 3339)."`
	To       time.Time `query:"to" description:"Only cases whose first event is before this time (RFC 3339)."`
	Variant  int       `query:"variant" minimum:"1" description:"Only the cases of the variant of this rank in the whole log."`
	Attr     string    `query:"attr" maxLength:"200" description:"Only cases whose attribute attr has the value value."`
	Value    string    `query:"value" maxLength:"1000"`
	Contains []string  `query:"contains" maxItems:"20" description:"Only cases with each of these activities."`
	Excludes []string  `query:"excludes" maxItems:"20" description:"Only cases with none of these activities."`
}

// DraftFlowRequest shapes a flow drafted from a log (decision 0032).
type DraftFlowRequest struct {
	Key               string            `json:"key,omitempty" maxLength:"100" description:"The flow's key; default: made from the log's name." example:"helpdesk"`
	Name              string            `json:"name,omitempty" maxLength:"200" description:"The flow's name; default: the log's name."`
	Coverage          float64           `json:"coverage,omitempty" minimum:"0" maximum:"1" description:"The share of the cases the kept variants (the most frequent first) must cover; 0 or left out: 0.9." example:"0.9"`
	DepartmentOf      map[string]string `json:"department_of,omitempty" maxProperties:"500" description:"A group or resource value of the log → the department its activities' tasks go to (made a valid department name)."`
	DefaultDepartment string            `json:"default_department,omitempty" maxLength:"100" description:"The department of a task whose activity has neither a mapped value nor a group; default service."`
}

// DraftFlow is a flow drafted from a log (draftFlowFromLog): YAML that
// validates unchanged, commented with where each number came from, and
// its figures. Nothing is stored.
type DraftFlow struct {
	YAML            string       `json:"yaml" description:"The flow definition, ready for validateFlow and publishFlowVersion."`
	Key             string       `json:"key"`
	Variants        int          `json:"variants" description:"The variants kept, the most frequent first."`
	VariantsTotal   int          `json:"variants_total" description:"The variants of the (filtered) log."`
	Cases           int          `json:"cases" description:"The cases of the (filtered) log."`
	CoveredCases    int          `json:"covered_cases" description:"The cases of the kept variants."`
	Coverage        float64      `json:"coverage" description:"covered_cases over cases."`
	Activities      int          `json:"activities" description:"The activities kept, one task step each."`
	ActivitiesTotal int          `json:"activities_total"`
	Capped          bool         `json:"capped" description:"The cap on activities (60) left variants out."`
	Steps           int          `json:"steps" description:"The flow's steps: tasks, the start decision (when cases start differently) and the end."`
	Diagnostics     []Diagnostic `json:"diagnostics" nullable:"false" description:"validateFlow's diagnostics on the YAML; empty for a draft."`
}
