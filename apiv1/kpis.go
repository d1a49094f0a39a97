package apiv1

import "time"

// ServiceKPIsParams are the query parameters of getServiceKPIs: the
// range of weeks and the filters.
type ServiceKPIsParams struct {
	From    time.Time `query:"from" description:"Start of the range (RFC 3339), moved back to the Monday 00:00 UTC of its ISO week; default: 12 weeks before the end."`
	To      time.Time `query:"to" description:"End of the range (RFC 3339, exclusive), moved forward to the next Monday 00:00 UTC unless it is one; default: now."`
	Channel string    `query:"channel" description:"Only cases of this channel." example:"phone"`
	Flow    string    `query:"flow" description:"Only cases of this flow key (improvement cycles, flow pdca, count only when asked for)." example:"complaint"`
}

// ServiceRate is a KPI that is a share of a count.
type ServiceRate struct {
	Value       *float64 `json:"value" description:"count / n (0–1); null when n is 0."`
	Count       int      `json:"count" description:"The numerator."`
	N           int      `json:"n" description:"The denominator."`
	Target      float64  `json:"target"`
	Direction   string   `json:"direction" enum:"at_least,at_most" description:"Whether the target is a minimum (at_least) or a maximum (at_most)."`
	MeetsTarget *bool    `json:"meets_target" description:"value against target in the direction; null when value is null."`
}

// ServiceCSAT is the CSAT KPI: the top-2-box share and the mean.
type ServiceCSAT struct {
	Value       *float64 `json:"value" description:"Answers of 4 or 5 / answers (0–1); null when n is 0."`
	Count       int      `json:"count" description:"Answers of 4 or 5."`
	N           int      `json:"n" description:"Cases with a CSAT answer."`
	Target      float64  `json:"target"`
	Direction   string   `json:"direction" enum:"at_least,at_most"`
	MeetsTarget *bool    `json:"meets_target"`
	Mean        *float64 `json:"mean" description:"Mean CSAT (1–5); null when n is 0."`
}

// ServiceNPS is the net promoter score.
type ServiceNPS struct {
	Value       *float64 `json:"value" description:"100 × (promoters − detractors) / n, from −100 to 100; null when n is 0."`
	N           int      `json:"n" description:"Cases with an NPS answer."`
	Promoters   int      `json:"promoters" description:"Answers of 9 or 10."`
	Detractors  int      `json:"detractors" description:"Answers of 0 to 6."`
	Target      float64  `json:"target"`
	Direction   string   `json:"direction" enum:"at_least,at_most"`
	MeetsTarget *bool    `json:"meets_target"`
}

// ServiceResponseTime is the first response time.
type ServiceResponseTime struct {
	Value       *float64 `json:"value" description:"Median seconds from the case's creation to the first claim of one of its tasks; null when n is 0."`
	P90         *float64 `json:"p90" description:"90th percentile of the same seconds; null when n is 0."`
	N           int      `json:"n" description:"Cases with a claimed task."`
	Target      float64  `json:"target" description:"Seconds."`
	Direction   string   `json:"direction" enum:"at_least,at_most"`
	MeetsTarget *bool    `json:"meets_target" description:"The median is at most the target; null when n is 0."`
}

// ServicePerceived is the perceived-improvement rate of the follow-up
// calls (decision 0041). It has no target: the plans set none.
type ServicePerceived struct {
	Value   *float64 `json:"value" description:"Calls answered yes / calls answered yes or no (0–1); null when n is 0."`
	Count   int      `json:"count" description:"Calls whose customer perceives the improvement (yes)."`
	N       int      `json:"n" description:"Calls answered yes or no."`
	NotSure int      `json:"not_sure" description:"Calls answered not sure: in neither count nor n."`
}

// FollowUpShare is a flow's declared follow-up share beside the realised
// one (decision 0041).
type FollowUpShare struct {
	Flow          string   `json:"flow"`
	DeclaredShare float64  `json:"declared_share" description:"The share of completed cases to call back that the flow declares (0–1): the mean, over the eligible cases, of their version's share."`
	Eligible      int      `json:"eligible" description:"Completed cases whose flow version has a follow_up."`
	Sampled       int      `json:"sampled" description:"Eligible cases the sample (a hash of the case id) picked for a call."`
	Due           int      `json:"due" description:"Eligible cases, sampled or not, closed at least the follow-up's after ago: their call is (or would have been) due."`
	Opened        int      `json:"opened" description:"Due cases whose call task was opened."`
	Answered      int      `json:"answered" description:"Calls completed with the customer's answers."`
	Unreachable   int      `json:"unreachable" description:"Calls completed without reaching the customer."`
	RealisedShare *float64 `json:"realised_share" description:"opened / due (0–1): the share actually called back, to read beside declared_share; null when due is 0."`
}

// ServiceKPISet is the KPIs of a set of cases.
type ServiceKPISet struct {
	Cases         int                 `json:"cases" description:"Cases created in the period."`
	CSAT          ServiceCSAT         `json:"csat" description:"Target: at least 0.9 answers of 4 or 5."`
	NPS           ServiceNPS          `json:"nps" description:"Target: at least 50."`
	FCR           ServiceRate         `json:"fcr" description:"First-contact resolution as pilots count it: completed cases whose resolved_first_contact is known, false when reopened within the reopen window. Target: at least 0.85."`
	FirstResponse ServiceResponseTime `json:"first_response" description:"Target: a median of at most 30 s."`
	OnTime        ServiceRate         `json:"on_time" description:"Spans of completed tasks with an SLA that were completed by their due time. Target: at least 0.95."`
	ComplaintRate ServiceRate         `json:"complaint_rate" description:"Cases of flow complaint or complaint-* / all cases. Target: at most 0.02."`
	// PerceivedImprovement is the follow-up calls' answer to "does the
	// customer perceive the improvement?" (decision 0041).
	PerceivedImprovement ServicePerceived `json:"perceived_improvement" description:"Follow-up calls answered yes / answered yes or no; not sure is counted apart. No target."`
}

// ChannelKPIs is the KPIs of one channel's cases.
type ChannelKPIs struct {
	Channel string        `json:"channel" description:"The channel; empty for cases recorded without one."`
	KPIs    ServiceKPISet `json:"kpis"`
}

// ServiceKPIWeek is one ISO week.
type ServiceKPIWeek struct {
	Week     string        `json:"week" description:"ISO 8601 week, e.g. 2026-W10."`
	Start    time.Time     `json:"start" description:"Monday 00:00 UTC."`
	End      time.Time     `json:"end" description:"The next Monday 00:00 UTC (exclusive)."`
	All      ServiceKPISet `json:"all" description:"Every channel."`
	Channels []ChannelKPIs `json:"channels" nullable:"false" description:"One entry per channel of the response's channels, in that order."`
}

// ServiceKPITotal is the whole range.
type ServiceKPITotal struct {
	All      ServiceKPISet `json:"all"`
	Channels []ChannelKPIs `json:"channels" nullable:"false"`
}

// ServiceKPIs are the service KPIs of the plans per ISO week and channel,
// against their targets (getServiceKPIs, ADR 0015).
type ServiceKPIs struct {
	From                time.Time        `json:"from" description:"Start of the first week (Monday 00:00 UTC)."`
	To                  time.Time        `json:"to" description:"End of the last week (exclusive)."`
	Channel             string           `json:"channel" description:"The channel filter; empty: every channel."`
	Flow                string           `json:"flow" description:"The flow filter; empty: every flow but pdca."`
	ReopenWindowSeconds float64          `json:"reopen_window_seconds" description:"A case reopened within this time of its close was not resolved at first contact."`
	Channels            []string         `json:"channels" nullable:"false" description:"The channels of the cases in the range (or the channel filter), sorted: the order of every channels list."`
	Weeks               []ServiceKPIWeek `json:"weeks" nullable:"false" description:"Every week of the range, oldest first, weeks without cases included (their values null)."`
	Overall             ServiceKPITotal  `json:"overall" description:"The whole range."`
	FollowUps           []FollowUpShare  `json:"follow_ups" nullable:"false" description:"Per flow with a follow-up among the range's cases (completed cases created in the range whose version has a follow_up), by flow key: the declared share beside the realised one."`
}
