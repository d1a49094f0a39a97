package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/flowlab/flowlab/devserver"
	"github.com/flowlab/flowlab/obs"
	"github.com/flowlab/flowlab/searchattr"
	"github.com/flowlab/flowlab/workflows"
)

const adminTokenFile = "admin-token"

// sessionKeyFile (in the data dir) keeps the key that seals the web UI's
// session cookies, so that a restart does not sign everyone out.
const sessionKeyFile = "session-key"

func newDevCmd() *cobra.Command {
	var (
		dataDir      string
		addr         string
		temporalPort int
		lf           logFlags
		pk           payloadKeyFlags
		webhook      string
	)
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run everything in one process: embedded Temporal, store, worker and API",
		Long: `dev runs an embedded Temporal server (a SQLite file in WAL mode), the embedded
SQLite store, a worker and the HTTP API in one process. State lives in --data:
stop it (Ctrl-C, or even kill -9) and start it again with the same --data and
every open case continues where it was. The API serves the Prometheus
metrics of the process (the API's, the worker's and the Temporal SDK's) at
/metrics.

With FLOWLAB_PAYLOAD_KEY or --payload-key-file, workflow payloads are
encrypted as in production; keep the keys with --data: without them its
histories cannot be read.

The admin token is FLOWLAB_ADMIN_TOKEN when set; otherwise one is generated at
the first start and kept in DATA/admin-token (client verbs read it from there).`,
		Example: `  flowlab dev
  flowlab dev --data /tmp/flowlab --addr 127.0.0.1:9090`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			logger, err := lf.logger()
			if err != nil {
				return err
			}
			if _, err := webhookAllow(); err != nil {
				return err
			}
			kc, err := pk.codec()
			if err != nil {
				return err
			}
			dataDir, err := filepath.Abs(dataDir)
			if err != nil {
				return fmt.Errorf("data dir: %w", err)
			}
			if err := os.MkdirAll(dataDir, 0o700); err != nil {
				return fmt.Errorf("data dir: %w", err)
			}
			if temporalPort < 0 || temporalPort > devserver.MaxPort {
				return usageError{fmt.Errorf("--temporal-port: want 1 to %d (0: any free port), got %d", devserver.MaxPort, temporalPort)}
			}
			lock, err := lockDataDir(dataDir)
			if err != nil {
				return err
			}
			defer lock.release()
			token, err := devAdminToken(dataDir)
			if err != nil {
				return err
			}
			sessionKey, err := devSessionKey(dataDir)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return listenError("the API", "--addr", addr, err,
					"stop it, or choose another address: flowlab dev --addr 127.0.0.1:8081 (port 0: any free port)")
			}
			defer ln.Close()
			// Temporal's services exit the process when they cannot bind,
			// logging only to DATA/temporal/temporal.log: check the
			// frontend's port first so that the answer says what to do.
			if temporalPort != 0 {
				hp := net.JoinHostPort("127.0.0.1", strconv.Itoa(temporalPort))
				tl, err := net.Listen("tcp", hp)
				if err != nil {
					return listenError("the embedded Temporal", "--temporal-port", hp, err,
						"another flowlab dev or `temporal server start-dev` may hold it: stop it, or choose another port: flowlab dev --temporal-port 7234 (0: any free port)")
				}
				_ = tl.Close()
			}

			temporalLog := filepath.Join(dataDir, "temporal", "temporal.log")
			fmt.Fprintf(cmd.ErrOrStderr(), "flowlab dev: starting embedded Temporal (data in %s, its log in %s)…\n", dataDir, temporalLog)
			ts, err := devserver.Start(devserver.Config{
				DataDir:          filepath.Join(dataDir, "temporal"),
				FrontendPort:     temporalPort,
				SearchAttributes: searchattr.Types(workflows.SearchAttributes()),
				LogLevel:         "error",
			})
			if err != nil {
				return devStartError{what: "cannot start the embedded Temporal", err: err,
					hint: fmt.Sprintf("its log is %s; if the data dir is damaged or from another version, start with a new one: flowlab dev --data DIR", temporalLog)}
			}
			defer func() { _ = ts.Stop() }()
			metrics := obs.New()
			mh, closer := sdkMetrics(metrics, logger)
			defer closer.Close()
			dialCtx, cancelDial := context.WithTimeout(ctx, devDialTimeout)
			c, err := ts.Dial(dialCtx, connExtras{logger: logger, metrics: mh, codec: kc}.apply(client.Options{}))
			cancelDial()
			if err != nil {
				return devStartError{what: fmt.Sprintf("the embedded Temporal did not answer on %s within %s", ts.FrontendHostPort(), devDialTimeout), err: err,
					hint: fmt.Sprintf("see its log %s; start with a new data dir if it reports a damaged database: flowlab dev --data DIR", temporalLog)}
			}
			defer c.Close()
			if err := ensureSearchAttributes(ctx, c, ts.Namespace()); err != nil {
				return err
			}

			st, err := openStore(ctx, "sqlite:"+filepath.Join(dataDir, "flowlab.db"), true)
			if err != nil {
				return devStartError{what: "cannot open the store " + filepath.Join(dataDir, "flowlab.db"), err: err,
					hint: "check the data dir's permissions and free space, or start with a new one: flowlab dev --data DIR"}
			}
			defer st.Close()

			w, err := newWorker(c, st, logger, webhook, metrics, 5*time.Second)
			if err != nil {
				return err
			}
			if err := w.Start(); err != nil {
				return fmt.Errorf("start worker: %w", err)
			}
			defer w.Stop()

			h, err := apiHandler(ctx, st, c, logger, apiOptions{adminToken: token, sessionKey: sessionKey, namespace: ts.Namespace(), metrics: metrics, dev: true,
				listenAddr: ln.Addr().String()})
			if err != nil {
				return err
			}
			url := "http://" + ln.Addr().String()
			fmt.Fprintf(cmd.OutOrStdout(), `
flowlab is running.
  Web UI:    %s/ui/   (sign in with a token)
  API:       %s/api/v1   (health: %s/healthz)
  Temporal:  %s (namespace %s)
  Data:      %s
  Admin token (also in %s):
    %s

Try:
  export FLOWLAB_SERVER=%s FLOWLAB_TOKEN=%s
  curl -s -H "Authorization: Bearer $FLOWLAB_TOKEN" $FLOWLAB_SERVER/api/v1/flows

Press Ctrl-C to stop; start again with the same --data to continue.
`, url, url, url, ts.FrontendHostPort(), ts.Namespace(), dataDir, filepath.Join(dataDir, adminTokenFile), token, url, token)
			return serveHTTP(ctx, ln, h, logger, 5*time.Second)
		},
	}
	cmd.Flags().StringVar(&dataDir, "data", envOr("FLOWLAB_DATA", ".flowlab"), "directory for all state (env FLOWLAB_DATA)")
	cmd.Flags().StringVar(&addr, "addr", envOr("FLOWLAB_ADDR", "127.0.0.1:8080"), "HTTP listen address (env FLOWLAB_ADDR)")
	cmd.Flags().IntVar(&temporalPort, "temporal-port", 7233, "gRPC port of the embedded Temporal frontend (0: any free port)")
	lf.add(cmd)
	pk.add(cmd)
	cmd.Flags().StringVar(&webhook, "notify-webhook", envOr("FLOWLAB_NOTIFY_WEBHOOK", ""), "URL that receives notifications and escalations as JSON POSTs")
	return cmd
}

// devDialTimeout bounds the wait for the embedded Temporal's frontend.
const devDialTimeout = 60 * time.Second

// devStartError is a start-up failure of flowlab dev: what failed, why,
// and what to do about it (a flag to change, a process to stop).
type devStartError struct {
	what string
	err  error
	hint string
	// usage makes the exit code 2: a flag fixes it.
	usage bool
}

func (e devStartError) Error() string {
	msg := "dev: " + e.what
	if e.err != nil {
		msg += ": " + e.err.Error()
	}
	if e.hint != "" {
		msg += "\n  what to do: " + e.hint
	}
	return msg
}

func (e devStartError) Unwrap() error { return e.err }

// listenError explains why who cannot listen on addr (the value of flag).
func listenError(who, flag, addr string, err error, inUseHint string) error {
	e := devStartError{usage: true, what: fmt.Sprintf("%s cannot listen on %s (%s)", who, addr, flag), err: err}
	if errors.Is(err, syscall.EADDRINUSE) {
		e.what = fmt.Sprintf("%s cannot listen on %s (%s): something else already listens there", who, addr, flag)
		e.hint = inUseHint
	} else {
		e.hint = fmt.Sprintf("pass a local address that you may listen on with %s", flag)
	}
	return e
}

// devAdminToken returns FLOWLAB_ADMIN_TOKEN, or the token kept in the data
// dir, generating it at the first start.
func devAdminToken(dataDir string) (string, error) {
	return keptSecret(dataDir, adminTokenFile, "FLOWLAB_ADMIN_TOKEN", "flk_", "admin token")
}

// devSessionKey returns FLOWLAB_SESSION_KEY, or the key kept in the data
// dir, generating it at the first start: the web UI's sessions survive a
// restart of flowlab dev as its cases do (decision 0023).
func devSessionKey(dataDir string) (string, error) {
	return keptSecret(dataDir, sessionKeyFile, "FLOWLAB_SESSION_KEY", "", "web UI session key")
}

// keptSecret returns the environment variable env when set, else the
// secret kept in DATA/file (mode 0600), generating 32 random bytes
// (prefix + base64) at the first start.
func keptSecret(dataDir, file, env, prefix, what string) (string, error) {
	if t := os.Getenv(env); t != "" {
		return t, nil
	}
	path := filepath.Join(dataDir, file)
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", what, err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generate %s: %w", what, err)
	}
	t := prefix + base64.RawURLEncoding.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(t+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", what, err)
	}
	return t, nil
}
