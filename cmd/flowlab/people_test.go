package main

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
)

// TestPeopleCommands: people set, show, list and work against the real
// API: a lead sets a person's capacity and skills, the person goes away,
// and the measures show the department.
func TestPeopleCommands(t *testing.T) {
	cli, ok := realAPI(t, idleEngine{waitingFor: &sync.Map{}})
	var ana apiv1.TokenResponse
	require.NoError(t, json.Unmarshal([]byte(ok("token", "create", "--name", "Ana", "--role", "staff", "--department", "customer_service", "-o", "json")), &ana))

	// The admin sets Ana's capacity and skills (a list replaces hers).
	var upd apiv1.UpdatePersonResponse
	require.NoError(t, json.Unmarshal([]byte(ok("people", "set", ana.Actor.ID, "--capacity", "3", "--skill", "router", "--skill", "en", "-o", "json")), &upd))
	require.Equal(t, []any{3, []string{"en", "router"}}, []any{upd.Person.Capacity, upd.Person.Skills})
	// Ana sets herself away, with her own token.
	t.Setenv("FLOWLAB_TOKEN", ana.Token)
	out := ok("people", "set", "--availability", "away")
	require.Contains(t, out, "away")
	res := cli("people", "set", "--availability", "napping")
	require.Equal(t, exitUsage, res.code)
	require.Contains(t, res.stderr, "--availability must be available, away or offline")
	res = cli("people", "set")
	require.Equal(t, exitUsage, res.code)
	res = cli("people", "set", "--capacity", "9")
	require.Equal(t, exitAPIClient, res.code, "a person may not set their own capacity")
	require.Contains(t, res.stderr, "capacity")
	res = cli("people", "set", "--notify-by", "email")
	require.Equal(t, exitAPIClient, res.code)
	require.Contains(t, res.stderr, "email needs an email address")
	var me apiv1.Person
	require.NoError(t, json.Unmarshal([]byte(ok("people", "show", "-o", "json")), &me))
	require.Equal(t, []any{ana.Actor.ID, apiv1.Away}, []any{me.ID, me.Availability})
	res = cli("people", "list", "--department", "customer_service")
	require.Equal(t, exitAPIClient, res.code, "staff may not list people")

	t.Setenv("FLOWLAB_TOKEN", "flk_admin-token-for-the-test")
	list := ok("people", "list", "--department", "customer_service")
	require.Contains(t, list, "AVAILABILITY")
	require.Contains(t, list, "Ana")
	work := ok("people", "work", "--department", "customer_service")
	require.True(t, strings.HasPrefix(work, "tasks opened "), work)

	// Notifications: none yet for Ana; read needs ids or --all.
	t.Setenv("FLOWLAB_TOKEN", ana.Token)
	res = cli("notifications", "list")
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Contains(t, res.stderr, "0 unread")
	require.Equal(t, exitUsage, cli("notifications", "read").code)
	require.Contains(t, ok("notifications", "read", "--all"), "0 marked read, 0 unread")
}
