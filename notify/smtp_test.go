package notify_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/notify"
)

func TestParseSMTPURL(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]notify.SMTPConfig{
		"smtp://mailer:s3cret@mail.example.com?from=flowlab@example.com": {Host: "mail.example.com", Port: 587,
			Username: "mailer", Password: "s3cret", From: "flowlab@example.com", TLS: notify.TLSMandatory},
		"smtp://mail.example.com:2525?from=flowlab%40example.com&tls=opportunistic": {Host: "mail.example.com", Port: 2525,
			From: "flowlab@example.com", TLS: notify.TLSOpportunistic},
		"smtp://127.0.0.1:25/?from=Flowlab+%3Cflowlab@example.com%3E&tls=none": {Host: "127.0.0.1", Port: 25,
			From: "Flowlab <flowlab@example.com>", TLS: notify.TLSNone},
		"smtps://u%40example.com:p%3Aw%2Fd@[::1]?from=flowlab@example.com": {Host: "::1", Port: 465,
			Username: "u@example.com", Password: "p:w/d", From: "flowlab@example.com", TLS: notify.TLSImplicit},
	} {
		got, err := notify.ParseSMTPURL(raw)
		require.NoError(t, err, raw)
		require.Equal(t, want, got, raw)
		require.NotContains(t, got.String(), "s3cret")
		require.NotContains(t, fmt.Sprintf("%v %+v", got, got), "s3cret", "printing a configuration hides its password")
	}

	for raw, want := range map[string]string{
		"":                                                          "no scheme",
		"mail.example.com:587":                                      "scheme",
		"https://mail.example.com?from=a@b.c":                       `scheme "https"`,
		"smtp://?from=a@b.c":                                        "no host",
		"smtp:mail.example.com?from=a@b.c":                          "no host",
		"smtp://mail.example.com:0?from=a@b.c":                      `port "0"`,
		"smtp://mail.example.com:99999":                             `port "99999"`,
		"smtp://mail.example.com":                                   "no sender",
		"smtp://mail.example.com?from=nobody":                       `from="nobody" is not an email address`,
		"smtp://mail.example.com/x?from=a@b.c":                      "a path",
		"smtp://u@mail.example.com?from=a@b.c":                      "go together",
		"smtp://mail.example.com?from=a@b.c&tls=maybe":              `tls="maybe"`,
		"smtp://mail.example.com?from=a@b.c&port=25":                `unknown parameter "port"`,
		"smtps://mail.example.com?from=a@b.c&tls=none":              "smtps:// is TLS from the start",
		"smtp://u:hunter2@mail.example.com?from=a@b.c&tls=none":     "in the clear",
		"smtp://u:hunter2@mail.example.com?from=a@b.c&from=x@b.c":   `"from" is given 2 times`,
		"smtp://u:hun%zzter2@mail.example.com?from=a@b.c":           "not a valid URL",
		"smtp://u:hunter2@mail.example.com?from=a@b.c#frag":         "fragment",
		"smtp://u:hunter2@mail.example.com:x?from=a@b.c&tls=strict": "not a valid URL",
	} {
		_, err := notify.ParseSMTPURL(raw)
		require.ErrorContains(t, err, want, raw)
		require.NotContains(t, err.Error(), "hunter2", "an error never shows the password")
		require.NotContains(t, err.Error(), "hun%zz")
	}
}

// The usual submission set-up: STARTTLS (mandatory) on a server with a
// certificate the client trusts, then AUTH PLAIN, then the message.
func TestSMTPMailerStartTLSAndAuth(t *testing.T) {
	t.Parallel()
	serverTLS, clientTLS := selfSigned(t)
	srv := startMailServer(t, mailOptions{user: "mailer", pass: "s3cret", tls: serverTLS})
	cfg, err := notify.ParseSMTPURL(fmt.Sprintf("smtp://mailer:s3cret@%s:%d?from=flowlab@example.com", srv.Host, srv.Port))
	require.NoError(t, err)
	cfg.TLSConfig = clientTLS
	m, err := notify.NewSMTPMailer(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, m.Send(ctx, notify.Email{To: "ana@example.com", ToName: "Ana Lima", MessageID: "n-1",
		Subject: "Task assigned to you: Diagnose — case c-1", Text: "plain body", HTML: "<p>html body</p>"}))

	got := srv.messages()
	require.Len(t, got, 1)
	require.Equal(t, "flowlab@example.com", got[0].From)
	require.Equal(t, []string{"ana@example.com"}, got[0].To)
	srv.mu.Lock()
	require.Equal(t, []string{"mailer"}, srv.authed)
	require.Equal(t, []bool{true}, srv.tls, "the message went over TLS")
	srv.mu.Unlock()
	pm := parseMail(t, got[0].Data)
	require.Equal(t, "Task assigned to you: Diagnose — case c-1", pm.Subject)
	require.Equal(t, "<n-1@example.com>", pm.Header.Get("Message-Id"))
	require.Contains(t, pm.Header.Get("To"), "ana@example.com")
	require.Equal(t, "plain body", strings.TrimSpace(pm.Text))
	require.Equal(t, "<p>html body</p>", strings.TrimSpace(pm.HTML))

	// A wrong password is an error, and the error does not show it.
	bad := cfg
	bad.Password = "wrong-hunter2"
	bm, err := notify.NewSMTPMailer(bad)
	require.NoError(t, err)
	err = bm.Send(ctx, notify.Email{To: "ana@example.com", Subject: "s", Text: "t"})
	require.Error(t, err)
	require.NotContains(t, err.Error(), "hunter2")
}

// tls=mandatory refuses a server without STARTTLS: nothing goes in the
// clear.
func TestSMTPMailerMandatoryTLS(t *testing.T) {
	t.Parallel()
	srv := startMailServer(t, mailOptions{})
	cfg, err := notify.ParseSMTPURL(fmt.Sprintf("smtp://%s:%d?from=flowlab@example.com", srv.Host, srv.Port))
	require.NoError(t, err)
	m, err := notify.NewSMTPMailer(cfg)
	require.NoError(t, err)
	err = m.Send(context.Background(), notify.Email{To: "ana@example.com", Subject: "s", Text: "t"})
	require.ErrorContains(t, err, "STARTTLS")
	require.Empty(t, srv.messages())
}
