package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDevSurvivesKill runs the real `flowlab dev` binary, works a complaint
// half way, kills the process with SIGKILL, starts it again on the same
// data dir and finishes the case: nothing is lost.
func TestDevSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the flowlab binary; skipped in -short mode")
	}
	bin := filepath.Join(t.TempDir(), "flowlab")
	build := exec.Command("go", "build", "-o", bin, "../cmd/flowlab")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run(), "go build ./cmd/flowlab")

	data := t.TempDir()
	addr := freeAddr(t)
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "dev", "--data", data, "--addr", addr, "--temporal-port", "0", "--log-level", "warn")
		cmd.Env = append(os.Environ(), "FLOWLAB_ADMIN_TOKEN="+adminToken)
		logf, err := os.Create(filepath.Join(data, fmt.Sprintf("dev-%d.log", time.Now().UnixNano())))
		require.NoError(t, err)
		cmd.Stdout, cmd.Stderr = logf, logf
		require.NoError(t, cmd.Start())
		t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait(); _ = logf.Close() })
		require.Eventually(t, func() bool {
			resp, err := http.Get("http://" + addr + "/healthz")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		}, 90*time.Second, 200*time.Millisecond, "flowlab dev did not become healthy")
		return cmd
	}
	e := &env{t: t, url: "http://" + addr, tokens: map[string]string{"admin": adminToken}}

	dev := start()
	var created struct {
		ID string `json:"id"`
	}
	e.mustDo("admin", http.MethodPost, "/api/v1/cases", map[string]any{"flow": "complaint", "customer": "C-9", "channel": "chat", "attributes": map[string]any{}}, http.StatusCreated, &created)
	task := e.waitOpenTask(created.ID)
	e.mustDo("admin", http.MethodPost, "/api/v1/tasks/"+task.ID+"/complete", map[string]any{"outcome": task.Outcomes[0], "data": formData(task)}, http.StatusOK, nil)
	second := e.waitOpenTask(created.ID)
	require.NotEqual(t, task.ID, second.ID)

	require.NoError(t, dev.Process.Signal(os.Kill))
	_, _ = dev.Process.Wait()

	start()
	// The case continues where it was: the same open task, then the rest.
	require.Equal(t, second.ID, e.waitOpenTask(created.ID).ID)
	task = second
	for i := 0; i < 10; i++ {
		var res struct {
			CaseStatus string     `json:"case_status"`
			Next       []taskJSON `json:"next"`
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		status, body := doCtx(ctx, e, http.MethodPost, "/api/v1/tasks/"+task.ID+"/complete", map[string]any{"outcome": task.Outcomes[0], "data": formData(task)})
		cancel()
		require.Equal(t, http.StatusOK, status, body)
		require.NoError(t, json.Unmarshal([]byte(body), &res))
		if res.CaseStatus == "completed" {
			break
		}
		require.Len(t, res.Next, 1)
		task = res.Next[0]
	}
	c := e.getCase(created.ID)
	require.Equal(t, "completed", c.Status)
	tasks := 0
	for _, s := range c.Spans {
		if s.Kind == "task" {
			tasks++
		}
	}
	require.Equal(t, 5, tasks, "every task step has exactly one span")
}

func doCtx(ctx context.Context, e *env, method, path string, body any) (int, string) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(ctx, method, e.url+path, strings.NewReader(string(b)))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}
