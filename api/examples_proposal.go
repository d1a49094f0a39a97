package api

import (
	"encoding/json"
	"time"

	"github.com/flowlab/flowlab/apiv1"
)

// Examples of the proposal and improvement routes.

var (
	exampleProposalID = "3c5e7a9b-1d2f-4a6c-8e0b-2d4f6a8c0e1b"
	examplePDCACaseID = "5b7d9f1a-3c5e-4b7d-9f1a-3c5e7b9d1f3a"

	exampleCreateProposal = apiv1.CreateProposalRequest{
		Title: "Let first-line agents issue refunds up to 50 EUR",
		Body:  "Most complaints wait a day for a supervisor to approve a small refund. The customer calls back in the meantime.",
	}
	exampleProposal = apiv1.Proposal{ID: exampleProposalID, Title: exampleCreateProposal.Title, Body: exampleCreateProposal.Body,
		Author: ptr(exampleTokenResponse.Actor.ID), Status: "open", Votes: 0, CreatedAt: exampleT0, UpdatedAt: exampleT0}
	exampleVotedProposal = func() apiv1.Proposal {
		p := exampleProposal
		p.Votes, p.UpdatedAt = 7, exampleT2
		return p
	}()
	exampleAdoptedProposal = func() apiv1.Proposal {
		p := exampleVotedProposal
		p.Status, p.AdoptedCaseID, p.UpdatedAt = "adopted", examplePDCACaseID, exampleT2.Add(time.Hour)
		return p
	}()
	exampleDeclinedProposal = func() apiv1.Proposal {
		p := exampleVotedProposal
		p.Status, p.UpdatedAt = "declined", exampleT2.Add(time.Hour)
		return p
	}()
	examplePDCACase = apiv1.Case{
		ID: examplePDCACaseID, Flow: "pdca", Version: 1, Customer: ImprovementCustomer, Channel: ImprovementChannel,
		Attributes: json.RawMessage(`{"flow":"complaint","metric":"cycle_time","problem":"Let first-line agents issue refunds up to 50 EUR","proposal_id":"` + exampleProposalID + `"}`),
		Status:     "active", Step: "plan", WorkflowID: "pdca-" + examplePDCACaseID, CreatedBy: "7e9a1c3b-5d7f-4e9a-8c1b-3d5f7a9c1e3b",
		CreatedAt: exampleT2.Add(time.Hour), UpdatedAt: exampleT2.Add(time.Hour),
	}
	exampleAdoption = apiv1.Adoption{Proposal: exampleAdoptedProposal, Case: examplePDCACase}

	exampleImprovement = apiv1.Improvement{
		CaseID: examplePDCACaseID, Status: "completed", Stage: "closed", Flow: "complaint", Metric: "cycle_time",
		BaselineValue: ptr(14400.0), Target: ptr(7200.0), PilotID: examplePilotID, PilotStatus: "completed", PilotWinner: "treatment",
		PromotedVersion: ptr(2), ProposalID: exampleProposalID, Outcome: apiv1.OutcomeStandardised,
		CreatedAt: exampleT2.Add(time.Hour), ClosedAt: ptr(exampleT2.Add(15 * 24 * time.Hour)),
	}
	exampleImprovementKPIs = apiv1.ImprovementKPIs{
		Proposals:          apiv1.ProposalCounts{Open: 4, Adopted: 7, Declined: 2, Total: 13},
		AdoptionRate:       rate(7, 9, AdoptionTarget),
		Cycles:             apiv1.CycleCounts{Total: 8, Open: 3, Completed: 5, Standardised: 4, Abandoned: 1},
		ImprovementsLanded: rate(4, 5, LandedTarget),
	}
)
