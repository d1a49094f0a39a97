package main

import (
	"bytes"
	"errors"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
)

// FLOWLAB_SMTP_URL and FLOWLAB_PUBLIC_URL are read at start: a wrong one
// stops the server with a usage error naming it, never showing the
// password; without an SMTP URL email is off.
func TestNotifySettings(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	t.Setenv("FLOWLAB_SMTP_URL", "")
	t.Setenv("FLOWLAB_PUBLIC_URL", "")
	t.Setenv("FLOWLAB_ADDR", "")
	d, err := notifyDispatcher(nil, logger, "")
	require.NoError(t, err)
	require.Nil(t, d.Mailer)
	require.Equal(t, "http://localhost:8080", d.BaseURL)

	d, err = notifyDispatcher(nil, logger, "[::]:9090")
	require.NoError(t, err)
	require.Equal(t, "http://localhost:9090", d.BaseURL, "a wildcard address is reached at localhost")
	t.Setenv("FLOWLAB_ADDR", "127.0.0.1:8081")
	d, err = notifyDispatcher(nil, logger, "")
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:8081", d.BaseURL)

	t.Setenv("FLOWLAB_PUBLIC_URL", "https://flowlab.example.com/")
	t.Setenv("FLOWLAB_SMTP_URL", "smtp://mailer:hunter2@mail.example.com:587?from=flowlab@example.com")
	d, err = notifyDispatcher(nil, logger, "")
	require.NoError(t, err)
	require.NotNil(t, d.Mailer)
	require.Equal(t, "https://flowlab.example.com", d.BaseURL)
	require.Contains(t, logs.String(), "smtp://mailer@mail.example.com:587")
	require.NotContains(t, logs.String(), "hunter2", "the log never shows the password")

	for _, c := range []struct{ smtp, public, want string }{
		{"smtp://mailer:hunter2@mail.example.com:587", "", "FLOWLAB_SMTP_URL"},
		{"smtp://mailer:hunter2@mail.example.com:587?from=flowlab@example.com&tls=none", "", "FLOWLAB_SMTP_URL"},
		{"", "flowlab.example.com", "FLOWLAB_PUBLIC_URL"},
	} {
		t.Setenv("FLOWLAB_SMTP_URL", c.smtp)
		t.Setenv("FLOWLAB_PUBLIC_URL", c.public)
		_, err := notifyDispatcher(nil, logger, "")
		require.ErrorContains(t, err, c.want)
		require.NotContains(t, err.Error(), "hunter2")
		var ue usageError
		require.True(t, errors.As(err, &ue), "a usage error")
	}
}
