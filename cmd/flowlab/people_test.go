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

// TestTokenAndPersonCommands: an admin creates a person and gives her a
// token; she makes another for herself, lists and revokes it; the admin
// moves her to another department: one person throughout (issue 20).
func TestTokenAndPersonCommands(t *testing.T) {
	cli, ok := realAPI(t, idleEngine{waitingFor: &sync.Map{}})
	var pat apiv1.Person
	require.NoError(t, json.Unmarshal([]byte(ok("people", "create", "--name", "Pat", "--email", "pat@example.com", "--department", "customer_service", "-o", "json")), &pat))
	require.Equal(t, "pat@example.com", pat.Email)
	res := cli("token", "create", "--person", pat.ID, "--role", "owner")
	require.Equal(t, exitUsage, res.code)
	require.Contains(t, res.stderr, "--role describes a new person")
	tok1 := strings.TrimSpace(ok("token", "create", "--person", pat.ID))
	require.True(t, strings.HasPrefix(tok1, "flk_"), tok1)

	t.Setenv("FLOWLAB_TOKEN", tok1)
	tok2 := strings.TrimSpace(ok("token", "create", "--person", "me", "--expires-in", "30d"))
	require.NotEqual(t, tok1, tok2)
	var list apiv1.TokenList
	require.NoError(t, json.Unmarshal([]byte(ok("token", "list", "--person", "me", "-o", "json")), &list))
	require.Len(t, list.Tokens, 2)
	require.Equal(t, pat.ID, list.Tokens[0].Actor.ID)
	require.Equal(t, pat.ID, list.Tokens[1].Actor.ID)
	table := ok("token", "list", "--person", "me")
	require.Contains(t, table, "STATUS")
	res = cli("token", "list")
	require.Equal(t, exitAPIClient, res.code, "only admins list everyone's")
	require.Contains(t, ok("token", "revoke", list.Tokens[0].ID), "revoked")
	t.Setenv("FLOWLAB_TOKEN", tok2)
	require.Equal(t, exitAPIClient, cli("people", "show").code, "the revoked token gets 401")
	t.Setenv("FLOWLAB_TOKEN", tok1)
	require.Contains(t, ok("people", "show"), "Pat")
	res = cli("people", "set", "--department", "technical")
	require.Equal(t, exitAPIClient, res.code, "only admins move people")

	t.Setenv("FLOWLAB_TOKEN", "flk_admin-token-for-the-test")
	var upd apiv1.UpdatePersonResponse
	require.NoError(t, json.Unmarshal([]byte(ok("people", "set", pat.ID, "--department", "technical", "--name", "Pat Lee", "-o", "json")), &upd))
	require.Equal(t, []any{pat.ID, "Pat Lee", []string{"technical"}}, []any{upd.Person.ID, upd.Person.Name, upd.Person.Departments})
	t.Setenv("FLOWLAB_TOKEN", tok1)
	require.Contains(t, ok("people", "show"), "technical", "the same token, the changed person")
}
