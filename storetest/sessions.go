package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/store"
)

// testSessions: web UI sessions (decision 0038) are stored, read with
// their actor and token, touched, ended once and listed; a session begun
// with a token sees the token's revocation.
func testSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann, err := s.CreateActor(ctx, store.CreateActorParams{ID: "ann", Name: "Ann", Role: store.RoleStaff, Departments: []string{"service"}, At: t0})
	require.NoError(t, err)
	_, err = s.CreateToken(ctx, store.CreateTokenParams{ID: "tok1", ActorID: "ann", Hash: []byte("hash-1"), At: t0})
	require.NoError(t, err)

	ti, err := s.TokenByHash(ctx, []byte("hash-1"), at(time.Minute))
	require.NoError(t, err)
	require.Equal(t, "tok1", ti.ID)
	require.Equal(t, ann, ti.Actor)
	_, err = s.TokenByHash(ctx, []byte("hash-x"), t0)
	require.ErrorIs(t, err, store.ErrNotFound)

	tokSess := store.Session{ID: "s1", ActorID: "ann", Via: store.SessionViaToken, TokenID: "tok1", CreatedAt: t0,
		IdleUntil: at(time.Hour), ExpiresAt: at(12 * time.Hour), UserAgent: "Firefox on Linux"}
	got, err := s.CreateSession(ctx, tokSess)
	require.NoError(t, err)
	want := tokSess
	want.LastSeenAt = t0
	require.Equal(t, want, got)
	_, err = s.CreateSession(ctx, tokSess)
	require.ErrorIs(t, err, store.ErrConflict, "duplicate id")

	info, err := s.GetSession(ctx, "s1")
	require.NoError(t, err)
	require.Equal(t, want, info.Session)
	require.Equal(t, &ann, info.Actor)
	require.Equal(t, &store.Token{ID: "tok1", ActorID: "ann", CreatedAt: t0}, info.Token)
	_, err = s.GetSession(ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)

	// The admin token's actor is no row; an OIDC session has no token.
	_, err = s.CreateSession(ctx, store.Session{ID: "s2", ActorID: "admin", Via: store.SessionViaAdminToken, CreatedAt: at(time.Minute),
		IdleUntil: at(time.Hour), ExpiresAt: at(2 * time.Hour)})
	require.NoError(t, err)
	info, err = s.GetSession(ctx, "s2")
	require.NoError(t, err)
	require.Nil(t, info.Actor)
	require.Nil(t, info.Token)
	_, err = s.CreateSession(ctx, store.Session{ID: "s3", ActorID: "ann", Via: store.SessionViaOIDC, CreatedAt: at(2 * time.Minute),
		IdleUntil: at(time.Hour), ExpiresAt: at(2 * time.Hour)})
	require.NoError(t, err)

	// Activity moves the idle deadline.
	require.NoError(t, s.TouchSession(ctx, "s1", at(30*time.Minute), at(90*time.Minute)))
	info, err = s.GetSession(ctx, "s1")
	require.NoError(t, err)
	require.Equal(t, at(30*time.Minute), info.LastSeenAt)
	require.Equal(t, at(90*time.Minute), info.IdleUntil)
	require.True(t, info.Live(at(80*time.Minute)))
	require.False(t, info.Live(at(90*time.Minute)), "idle")

	// Revoking the token shows on the session.
	require.NoError(t, s.RevokeToken(ctx, "tok1", at(40*time.Minute)))
	info, err = s.GetSession(ctx, "s1")
	require.NoError(t, err)
	require.Equal(t, ptr(at(40*time.Minute)), info.Token.RevokedAt)

	list, err := s.ListSessions(ctx, store.ListSessionsParams{ActorID: "ann"})
	require.NoError(t, err)
	require.Equal(t, []string{"s3", "s1"}, sessionIDs(list))
	list, err = s.ListSessions(ctx, store.ListSessionsParams{ActorID: "ann", Limit: 1, After: &store.SessionCursor{CreatedAt: list[0].CreatedAt, ID: list[0].ID}})
	require.NoError(t, err)
	require.Equal(t, []string{"s1"}, sessionIDs(list), "the page after s3")
	list, err = s.ListSessions(ctx, store.ListSessionsParams{})
	require.NoError(t, err)
	require.Equal(t, []string{"s3", "s2", "s1"}, sessionIDs(list), "everyone's")
	list, err = s.ListSessions(ctx, store.ListSessionsParams{ActorID: "ann", LiveAt: at(61 * time.Minute)})
	require.NoError(t, err)
	require.Equal(t, []string{"s1"}, sessionIDs(list), "s3 idle since 60 min")

	live, err := s.EndSession(ctx, "s1", at(45*time.Minute))
	require.NoError(t, err)
	require.True(t, live)
	live, err = s.EndSession(ctx, "s1", at(50*time.Minute))
	require.NoError(t, err)
	require.False(t, live, "ended already")
	info, err = s.GetSession(ctx, "s1")
	require.NoError(t, err)
	require.Equal(t, ptr(at(45*time.Minute)), info.EndedAt, "the first end stays")
	require.NoError(t, s.TouchSession(ctx, "s1", at(50*time.Minute), at(110*time.Minute)))
	info, err = s.GetSession(ctx, "s1")
	require.NoError(t, err)
	require.Equal(t, at(90*time.Minute), info.IdleUntil, "an ended session is not touched")
	list, err = s.ListSessions(ctx, store.ListSessionsParams{ActorID: "ann", LiveAt: at(46 * time.Minute)})
	require.NoError(t, err)
	require.Equal(t, []string{"s3"}, sessionIDs(list))
	live, err = s.EndSession(ctx, "s3", at(3*time.Hour))
	require.NoError(t, err)
	require.False(t, live, "expired already")
	_, err = s.EndSession(ctx, "nope", t0)
	require.ErrorIs(t, err, store.ErrNotFound)

	// Dead sessions go, a bounded batch at a time; live ones stay.
	n, err := s.DeleteDeadSessions(ctx, at(30*time.Minute), 0)
	require.NoError(t, err)
	require.Zero(t, n, "every session still signed someone in at 30 min")
	n, err = s.DeleteDeadSessions(ctx, at(24*time.Hour), 2)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	n, err = s.DeleteDeadSessions(ctx, at(24*time.Hour), 2)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	_, err = s.GetSession(ctx, "s1")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func sessionIDs(ss []store.Session) []string {
	out := []string{}
	for _, s := range ss {
		out = append(out, s.ID)
	}
	return out
}

// testActorByEmail: a person is found by email without case.
func testActorByEmail(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, id := range []string{"ann", "bob", "cy"} {
		_, err := s.CreateActor(ctx, store.CreateActorParams{ID: id, Name: id, Role: store.RoleStaff, Departments: []string{"service"}, At: t0})
		require.NoError(t, err)
	}
	setEmail := func(id, email string) {
		_, _, err := s.SetPerson(ctx, store.SetPersonParams{ActorID: id, Email: &email, At: t0})
		require.NoError(t, err)
	}
	setEmail("ann", "Ann@Example.com")
	setEmail("bob", "twin@example.com")
	setEmail("cy", "TWIN@example.com")

	a, err := s.ActorByEmail(ctx, "ann@example.COM")
	require.NoError(t, err)
	require.Equal(t, "ann", a.ID)
	_, err = s.ActorByEmail(ctx, "nobody@example.com")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.ActorByEmail(ctx, "")
	require.ErrorIs(t, err, store.ErrNotFound, "an empty address is nobody's")
	_, err = s.ActorByEmail(ctx, "twin@example.com")
	require.ErrorIs(t, err, store.ErrConflict, "two people share it")
}
