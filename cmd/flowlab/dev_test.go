package main

import (
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDevStartupFailuresSayWhatToDo: a flowlab dev that cannot start
// because another one (or anything else) holds its data dir, its API
// address or its Temporal port says which, and which flag to change,
// before starting Temporal (whose services exit the process when they
// cannot bind, logging only to a file).
func TestDevStartupFailuresSayWhatToDo(t *testing.T) {
	t.Setenv("FLOWLAB_ADMIN_TOKEN", "")
	hold := func(t *testing.T) (string, int) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		t.Cleanup(func() { _ = l.Close() })
		return l.Addr().String(), l.Addr().(*net.TCPAddr).Port
	}
	type want struct {
		code     int
		contains []string
	}
	cases := []struct {
		name string
		args func(t *testing.T, dir string) []string
		want want
	}{
		{"API address in use", func(t *testing.T, dir string) []string {
			addr, _ := hold(t)
			return []string{"dev", "--data", dir, "--addr", addr, "--temporal-port", "0"}
		}, want{exitUsage, []string{"the API cannot listen on", "(--addr): something else already listens there", "what to do:", "--addr 127.0.0.1:8081"}}},
		{"Temporal port in use", func(t *testing.T, dir string) []string {
			// The embedded Temporal's ports are at most 32767.
			var port int
			for p := 20000 + os.Getpid()%10000; port == 0; p++ {
				if l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p))); err == nil {
					t.Cleanup(func() { _ = l.Close() })
					port = p
				}
			}
			return []string{"dev", "--data", dir, "--addr", "127.0.0.1:0", "--temporal-port", strconv.Itoa(port)}
		}, want{exitUsage, []string{"the embedded Temporal cannot listen on 127.0.0.1:", "(--temporal-port)", "temporal server start-dev", "--temporal-port 7234 (0: any free port)"}}},
		{"data dir in use", func(t *testing.T, dir string) []string {
			l, err := lockDataDir(dir)
			require.NoError(t, err)
			t.Cleanup(l.release)
			return []string{"dev", "--data", dir, "--addr", "127.0.0.1:0", "--temporal-port", "0"}
		}, want{exitUsage, []string{"is in use by another flowlab dev (pid " + strconv.Itoa(os.Getpid()) + ")", "--data DIR", "--addr", "--temporal-port"}}},
		{"bad Temporal port", func(t *testing.T, dir string) []string {
			return []string{"dev", "--data", dir, "--temporal-port", "70000"}
		}, want{exitUsage, []string{"--temporal-port: want 1 to 32767"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var out, errOut strings.Builder
			code := execute(t.Context(), tc.args(t, dir), &out, &errOut)
			require.Equal(t, tc.want.code, code, errOut.String())
			for _, w := range tc.want.contains {
				require.Contains(t, errOut.String(), w)
			}
			require.NotContains(t, errOut.String(), "starting embedded Temporal", "failed after starting Temporal")
		})
	}
}
