package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/flowlab/flowlab/apiv1"
)

// newNotificationsCmd is "notifications list|read": your notifications
// (decisions 0036, 0037).
func newNotificationsCmd() *cobra.Command {
	parent := &cobra.Command{
		Use:   "notifications",
		Short: "Your notifications: tasks assigned or moved to you, escalations",
		Long: `notifications lists the notifications of the token's person, newest first
(GET /api/v1/notifications), and marks them read. The web UI shows the same
list with its unread count in the header; email and chat webhooks deliver them
too when you chose so (flowlab people set --notify-by).`,
		Example: `  flowlab notifications list --unread
  flowlab notifications read --all`,
		Args: noSubcommand,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_ = cmd.Help()
			return usageError{errors.New("notifications needs a subcommand: list or read")}
		},
	}
	parent.AddCommand(newNotificationsListCmd(), newNotificationsReadCmd())
	return parent
}

func newNotificationsListCmd() *cobra.Command {
	var cf clientFlags
	var pf pageFlags
	var unread bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List your notifications, newest first",
		Example: `  flowlab notifications list
  flowlab notifications list --unread -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			count := 0
			items, next, err := fetchPages(cmd.Context(), pf, func(ctx context.Context, cursor string, limit int) ([]apiv1.Notification, string, error) {
				out, err := c.ListNotifications(ctx, apiv1.ListNotificationsParams{Unread: unread, Limit: limit, Cursor: cursor})
				if err != nil {
					return nil, "", err
				}
				count = out.Unread
				return out.Notifications, out.NextCursor, nil
			})
			if err != nil {
				return err
			}
			answer := apiv1.NotificationList{Notifications: items, Unread: count, NextCursor: next}
			if err := printList(cmd, args, cf.output, answer, items, next, pf.all, []string{"created_at", "kind", "title", "read_at", "link"}); err != nil {
				return err
			}
			if cf.output == "table" {
				fmt.Fprintf(cmd.ErrOrStderr(), "%d unread\n", count)
			}
			return nil
		},
	}
	cf.add(cmd)
	pf.add(cmd, "notifications")
	cmd.Flags().BoolVar(&unread, "unread", false, "only those not read")
	return cmd
}

func newNotificationsReadCmd() *cobra.Command {
	var cf clientFlags
	var all bool
	cmd := &cobra.Command{
		Use:   "read [ID...]",
		Short: "Mark notifications read (the ids given, or --all)",
		Example: `  flowlab notifications read 8e1f6a2b-3c4d-5e6f-8a9b-0c1d2e3f4a5b
  flowlab notifications read --all`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) > 0) {
				return usageError{errors.New("give notification ids or --all, not both or neither")}
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.ReadNotifications(cmd.Context(), apiv1.ReadNotificationsRequest{IDs: args})
			if err != nil {
				return err
			}
			return emitAnswer(cmd, cf.output, out, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "%d marked read, %d unread\n", out.Read, out.Unread)
				return err
			})
		},
	}
	cf.add(cmd)
	cmd.Flags().BoolVar(&all, "all", false, "mark all your notifications read")
	return cmd
}
