package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/readable"
)

// newPeopleCmd is "people list|show|set|work": people's availability,
// capacity, skills and notification channels, and the assignment measures
// (decisions 0035, 0036).
func newPeopleCmd() *cobra.Command {
	parent := &cobra.Command{
		Use:   "people",
		Short: "People's availability, capacity, skills and notifications; assignment measures",
		Long: `people shows and changes what assignment rules know of people: whether they
are available, away or offline, how many open tasks a rule may give them at once
(capacity), their skills, and where their notifications go besides the app
(email, a chat webhook). A team lead sees the people of the departments they
lead and their load; "people work" shows how long tasks wait to be assigned and
to be started, handle times and reassignments.`,
		Example: `  flowlab people show
  flowlab people set --availability away
  flowlab people list --department customer_service
  flowlab people work --department customer_service`,
		Args: noSubcommand,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_ = cmd.Help()
			return usageError{errors.New("people needs a subcommand: list, show, create, set or work")}
		},
	}
	parent.AddCommand(newPeopleListCmd(), newPeopleShowCmd(), newPeopleCreateCmd(), newPeopleSetCmd(), newPeopleWorkCmd())
	return parent
}

var personCols = []string{"id", "name", "role", "availability", "load", "capacity", "skills", "departments", "leads"}

func newPeopleListCmd() *cobra.Command {
	var cf clientFlags
	var pf pageFlags
	var department string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List people with their availability and load (team leads, owners, admins)",
		Long: `list shows people by id with their availability, open tasks (load) and
capacity (GET /api/v1/people). A team lead names a department they lead.`,
		Example: `  flowlab people list --department customer_service
  flowlab people list --all -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			items, next, err := fetchPages(cmd.Context(), pf, func(ctx context.Context, cursor string, limit int) ([]apiv1.Person, string, error) {
				out, err := c.ListPeople(ctx, apiv1.ListPeopleParams{Department: department, Limit: limit, Cursor: cursor})
				if err != nil {
					return nil, "", err
				}
				return out.People, out.NextCursor, nil
			})
			if err != nil {
				return err
			}
			return printList(cmd, args, cf.output, apiv1.PersonList{People: items, NextCursor: next}, items, next, pf.all, personCols)
		},
	}
	cf.add(cmd)
	pf.add(cmd, "people")
	cmd.Flags().StringVar(&department, "department", "", "only the people of this department (required for team leads)")
	return cmd
}

func newPeopleShowCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "show [ACTOR_ID]",
		Short: "Show a person (you, without an id)",
		Example: `  flowlab people show
  flowlab people show 3d4f0c2e-8a1b-4c6d-9e7f-5a2b1c3d4e5f -o json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.GetPerson(cmd.Context(), apiv1.PersonIDParams{ID: personArg(args)})
			if err != nil {
				return err
			}
			return renderAnswer(cmd, cf.output, out, append(personCols, "email", "notify_by", "availability_since"))
		},
	}
	cf.add(cmd)
	return cmd
}

// personArg is the person a command names: the argument, or me.
func personArg(args []string) string {
	if len(args) == 1 && strings.TrimSpace(args[0]) != "" {
		return args[0]
	}
	return "me"
}

func newPeopleSetCmd() *cobra.Command {
	var cf clientFlags
	var (
		availability, email, webhook, name, role string
		capacity                                 int
		skills, notifyBy, depts, leads           []string
	)
	cmd := &cobra.Command{
		Use:   "set [ACTOR_ID]",
		Short: "Change a person: availability, capacity, skills, notifications; name, role, departments (admins)",
		Long: `set changes the flags given (PATCH /api/v1/people/{id}); without an id, your own.
You set your availability and where your notifications go; a team lead of the
person's department sets their availability, capacity and skills; admins also
their name, role, departments and leads (the person keeps their tokens and
history; what they held where they no longer work goes back to its pool).
Going away or offline gives back the tasks assigned to you and not started;
the rules offer them to others. Empty --skill or --notify-by clear the list.`,
		Example: `  flowlab people set --availability away
  flowlab people set --email ana@example.com --notify-by email
  flowlab people set 3d4f0c2e-8a1b-4c6d-9e7f-5a2b1c3d4e5f --capacity 3 --skill en --skill router`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			var req apiv1.UpdatePersonRequest
			if fl.Changed("availability") {
				switch availability {
				case apiv1.Available, apiv1.Away, apiv1.Offline:
				default:
					return usageError{fmt.Errorf("--availability must be available, away or offline, not %q", availability)}
				}
				req.Availability = &availability
			}
			if fl.Changed("capacity") {
				req.Capacity = &capacity
			}
			if fl.Changed("skill") {
				s := nonEmpty(skills)
				req.Skills = &s
			}
			if fl.Changed("email") {
				req.Email = &email
			}
			if fl.Changed("webhook-url") {
				req.WebhookURL = &webhook
			}
			if fl.Changed("notify-by") {
				n := nonEmpty(notifyBy)
				req.NotifyBy = &n
			}
			if fl.Changed("name") {
				req.Name = &name
			}
			if fl.Changed("role") {
				req.Role = &role
			}
			if fl.Changed("department") {
				d := nonEmpty(depts)
				req.Departments = &d
			}
			if fl.Changed("lead") {
				l := nonEmpty(leads)
				req.Leads = &l
			}
			if req == (apiv1.UpdatePersonRequest{}) {
				return usageError{errors.New("nothing to change: give --availability, --capacity, --skill, --email, --webhook-url, --notify-by, --name, --role, --department or --lead")}
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.UpdatePerson(cmd.Context(), apiv1.PersonIDParams{ID: personArg(args)}, req)
			if err != nil {
				return err
			}
			return emitAnswer(cmd, cf.output, out, func(w io.Writer) error {
				if err := writeTable(w, out.Person, append(personCols, "email", "notify_by")); err != nil {
					return err
				}
				for _, t := range out.Released {
					fmt.Fprintf(w, "gave back task %s (%s), not started\n", t.ID, t.StepName)
				}
				for _, t := range out.Assigned {
					fmt.Fprintf(w, "task %s (%s) assigned to %s by %s\n", t.ID, t.StepName, t.Assignee, t.AssignRule)
				}
				return nil
			})
		},
	}
	cf.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&availability, "availability", "", "available, away or offline")
	fl.IntVar(&capacity, "capacity", 0, "the most open tasks a rule gives them at once")
	fl.StringArrayVar(&skills, "skill", nil, "a skill (repeatable; the list replaces theirs)")
	fl.StringVar(&email, "email", "", "the address of email notifications (empty: none)")
	fl.StringVar(&webhook, "webhook-url", "", "a chat tool's incoming webhook for notifications (empty: none)")
	fl.StringSliceVar(&notifyBy, "notify-by", nil, "channels besides the app: email, webhook (comma-separated)")
	fl.StringVar(&name, "name", "", "their name (admins)")
	fl.StringVar(&role, "role", "", "their role: "+strings.Join(tokenRoles, ", ")+" (admins)")
	fl.StringArrayVar(&depts, "department", nil, "a department they work in (repeatable; the list replaces theirs; admins)")
	fl.StringArrayVar(&leads, "lead", nil, "a department, among theirs, they lead (repeatable; the list replaces theirs; admins)")
	_ = cmd.RegisterFlagCompletionFunc("availability", cobra.FixedCompletions([]string{apiv1.Available, apiv1.Away, apiv1.Offline}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("notify-by", cobra.FixedCompletions([]string{"email", "webhook"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func newPeopleCreateCmd() *cobra.Command {
	var cf clientFlags
	var name, email, role string
	var depts, leads []string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a person without a token (admins)",
		Long: `create adds a person (POST /api/v1/people): give them tokens with
"flowlab token create --person ID", or let them sign in through the identity
provider by their email.`,
		Example: `  flowlab people create --name "Ana Agent" --email ana@example.com --role staff --department customer_service`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !contains(tokenRoles, role) {
				return usageError{fmt.Errorf("--role must be one of %s, not %q", strings.Join(tokenRoles, ", "), role)}
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.CreatePerson(cmd.Context(), apiv1.CreatePersonRequest{Name: name, Email: email, Role: role,
				Departments: nonEmpty(depts), Leads: nonEmpty(leads)})
			if err != nil {
				return err
			}
			return renderAnswer(cmd, cf.output, out, append(personCols, "email"))
		},
	}
	cf.add(cmd)
	cmd.Flags().StringVar(&name, "name", "", "their name")
	cmd.Flags().StringVar(&email, "email", "", "their email address (how the identity provider's sign-in finds them)")
	cmd.Flags().StringVar(&role, "role", "staff", "role: "+strings.Join(tokenRoles, ", "))
	cmd.Flags().StringArrayVar(&depts, "department", nil, "department (repeatable; staff need one)")
	cmd.Flags().StringArrayVar(&leads, "lead", nil, "a department, among --department, they lead (repeatable)")
	_ = cmd.RegisterFlagCompletionFunc("role", cobra.FixedCompletions(tokenRoles, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("department", completeDepartments(&cf))
	_ = cmd.RegisterFlagCompletionFunc("lead", completeDepartments(&cf))
	return cmd
}

// nonEmpty drops empty strings (an empty flag clears a list).
func nonEmpty(ss []string) []string {
	out := []string{}
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func newPeopleWorkCmd() *cobra.Command {
	var cf clientFlags
	var department, from, to string
	cmd := &cobra.Command{
		Use:   "work",
		Short: "Waiting for assignment and to start, handle time and reassignments per person",
		Long: `work shows, for the tasks opened in the window (default the last 7 days),
per department (its total first) and per person (GET /api/v1/work): tasks
opened, completed and open; the p50 and p90 of waiting for assignment (opened →
assigned or pulled), of assigned and waiting to start (assigned → claimed) and
of handle time (claimed → completed); tasks completed per hour of the window;
reassignments. Team leads name a department they lead.`,
		Example: `  flowlab people work --department customer_service
  flowlab people work --from 2026-11-01T00:00:00Z --to 2026-12-01T00:00:00Z -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := timeRange(from, to); err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.GetWork(cmd.Context(), apiv1.WorkParams{Department: department, From: flagTime(from), To: flagTime(to)})
			if err != nil {
				return err
			}
			return emitAnswer(cmd, cf.output, out, func(w io.Writer) error { return writeWork(w, out) })
		},
	}
	cf.add(cmd)
	cmd.Flags().StringVar(&department, "department", "", "the department (required for team leads)")
	cmd.Flags().StringVar(&from, "from", "", "tasks opened at or after this time (RFC 3339)")
	cmd.Flags().StringVar(&to, "to", "", "tasks opened before this time (RFC 3339)")
	return cmd
}

// writeWork writes the measures as a table with units.
func writeWork(w io.Writer, out *apiv1.Work) error {
	fmt.Fprintf(w, "tasks opened %s – %s\n", out.From.Format("2006-01-02 15:04 MST"), out.To.Format("2006-01-02 15:04 MST"))
	if len(out.Rows) == 0 {
		fmt.Fprintln(w, "(none)")
		return nil
	}
	dur := func(d apiv1.DurationStats) string {
		if d.N == 0 {
			return "-"
		}
		return readable.Duration(d.P50) + " / " + readable.Duration(d.P90)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEPARTMENT\tPERSON\tOPENED\tCOMPLETED\tOPEN\tWAIT FOR ASSIGNMENT p50/p90\tWAIT TO START p50/p90\tHANDLE p50/p90\tTASKS/H\tREASSIGNED")
	for _, r := range out.Rows {
		who := r.Name
		if r.Actor == "" {
			who = "(all)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%.2f\t%d\n", r.Department, who, r.Opened, r.Completed, r.Open,
			dur(r.WaitAssign), dur(r.WaitStart), dur(r.Handle), r.TasksPerHour, r.Reassignments)
	}
	return tw.Flush()
}
