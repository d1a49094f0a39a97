package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestReopenWindowFromEnv(t *testing.T) {
	t.Setenv("FLOWLAB_REOPEN_WINDOW", "")
	d, err := reopenWindow()
	require.NoError(t, err)
	require.Equal(t, 7*24*time.Hour, d)
	t.Setenv("FLOWLAB_REOPEN_WINDOW", "3d12h")
	d, err = reopenWindow()
	require.NoError(t, err)
	require.Equal(t, 84*time.Hour, d)
	for _, bad := range []string{"soon", "0s", "-1h"} {
		t.Setenv("FLOWLAB_REOPEN_WINDOW", bad)
		_, err = reopenWindow()
		require.ErrorContains(t, err, "FLOWLAB_REOPEN_WINDOW", bad)
	}
}
