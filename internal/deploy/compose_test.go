package deploy

import (
	"context"
	"encoding/json"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/require"
)

const root = "../.."

// commandInfo is a row of cmd/flowlab/testdata/commands.json, which a
// cmd/flowlab test keeps current.
type commandInfo struct {
	Flags []string `json:"flags"`
	Env   []string `json:"env"`
}

func loadCommands(t *testing.T) map[string]commandInfo {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "cmd/flowlab/testdata/commands.json"))
	require.NoError(t, err)
	var out map[string]commandInfo
	require.NoError(t, json.Unmarshal(b, &out))
	require.Contains(t, out, "server")
	return out
}

// load runs the loader `docker compose config` runs: schema validation,
// interpolation, merge keys, normalization, with env as the environment.
func load(t *testing.T, env map[string]string) (*types.Project, error) {
	t.Helper()
	abs, err := filepath.Abs(root)
	require.NoError(t, err)
	vars := make([]string, 0, len(env))
	for k, v := range env {
		vars = append(vars, k+"="+v)
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(abs, "docker-compose.yml")},
		cli.WithWorkingDirectory(abs), cli.WithEnv(vars), cli.WithInterpolation(true), cli.WithNormalization(true), cli.WithConsistency(true))
	require.NoError(t, err)
	return opts.LoadProject(context.Background())
}

func mustLoad(t *testing.T) *types.Project {
	t.Helper()
	p, err := load(t, map[string]string{"FLOWLAB_ADMIN_TOKEN": "compose-test-admin-token-0123456789"})
	require.NoError(t, err, "docker-compose.yml does not load")
	return p
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, err := p.GetService(name)
	require.NoError(t, err)
	return s
}

func env(s types.ServiceConfig, key string) string {
	if v := s.Environment[key]; v != nil {
		return *v
	}
	return ""
}

// flowlabServices are the services that run the image built from this
// repository.
func flowlabServices(p *types.Project) []types.ServiceConfig {
	var out []types.ServiceConfig
	for _, s := range p.Services {
		if s.Build != nil {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b types.ServiceConfig) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func TestComposeServices(t *testing.T) {
	p := mustLoad(t)
	var names []string
	for name := range p.Services {
		names = append(names, name)
	}
	slices.Sort(names)
	require.Equal(t, []string{"migrate", "postgres", "server", "temporal", "temporal-schema", "temporal-ui", "worker"}, names)
	var built []string
	for _, s := range flowlabServices(p) {
		built = append(built, s.Name)
		abs, _ := filepath.Abs(root)
		require.Equal(t, abs, s.Build.Context, "%s is built from the repository root", s.Name)
	}
	require.Equal(t, []string{"migrate", "server", "worker"}, built)

	// Temporal persists to the PostgreSQL service, with the schema set up
	// first by the official admin tools.
	tmp := service(t, p, "temporal")
	require.True(t, strings.HasPrefix(tmp.Image, "temporalio/server:"), tmp.Image)
	require.Equal(t, "postgres12", env(tmp, "DB"))
	require.Equal(t, "postgres", env(tmp, "POSTGRES_SEEDS"))
	require.Contains(t, p.Services, env(tmp, "POSTGRES_SEEDS"))
	schema := service(t, p, "temporal-schema")
	require.True(t, strings.HasPrefix(schema.Image, "temporalio/admin-tools:"), schema.Image)
	require.Equal(t, strings.TrimPrefix(tmp.Image, "temporalio/server:"), strings.TrimPrefix(schema.Image, "temporalio/admin-tools:"), "server and admin tools of one version")
	require.Contains(t, strings.Join(schema.Command, " "), "update-schema")
	require.NotNil(t, tmp.HealthCheck)
	require.True(t, strings.HasPrefix(service(t, p, "temporal-ui").Image, "temporalio/ui:"))

	pg := service(t, p, "postgres")
	require.NotNil(t, pg.HealthCheck)
	require.NotEmpty(t, pg.Volumes, "the database outlives its container")
	require.Empty(t, pg.Ports, "the database is not published")
}

func TestComposeDependencies(t *testing.T) {
	p := mustLoad(t)
	cond := func(svc, dep string) string {
		d, ok := service(t, p, svc).DependsOn[dep]
		require.True(t, ok, "%s depends on %s", svc, dep)
		return d.Condition
	}
	require.Equal(t, types.ServiceConditionHealthy, cond("temporal-schema", "postgres"))
	require.Equal(t, types.ServiceConditionCompletedSuccessfully, cond("temporal", "temporal-schema"))
	require.Equal(t, types.ServiceConditionHealthy, cond("migrate", "postgres"))
	for _, svc := range []string{"server", "worker"} {
		require.Equal(t, types.ServiceConditionCompletedSuccessfully, cond(svc, "migrate"))
		require.Equal(t, types.ServiceConditionHealthy, cond(svc, "temporal"))
	}
}

// TestComposeWorkerScales: docker compose up --scale worker=3 needs a
// worker without a fixed container name or host port.
func TestComposeWorkerScales(t *testing.T) {
	p := mustLoad(t)
	w := service(t, p, "worker")
	require.Empty(t, w.ContainerName)
	require.Empty(t, w.Ports)
	for _, s := range p.Services {
		require.Empty(t, s.ContainerName, "%s: a fixed name clashes between projects", s.Name)
	}
	scaled, err := p.WithServicesTransform(func(name string, s types.ServiceConfig) (types.ServiceConfig, error) {
		if name == "worker" {
			s.SetScale(3)
		}
		return s, nil
	})
	require.NoError(t, err)
	w = service(t, scaled, "worker")
	require.Equal(t, 3, w.GetScale())
}

// TestComposeServerAndWorkerAgree: the settings both processes must share
// are the same in both services (the migration's store too).
func TestComposeServerAndWorkerAgree(t *testing.T) {
	p := mustLoad(t)
	server, worker, migrate := service(t, p, "server"), service(t, p, "worker"), service(t, p, "migrate")
	shared := []string{"FLOWLAB_DATABASE_URL", "FLOWLAB_PAYLOAD_KEY", "FLOWLAB_PAYLOAD_KEY_FILE", "FLOWLAB_REOPEN_WINDOW"}
	for _, s := range []types.ServiceConfig{server, worker} {
		for k := range s.Environment {
			if strings.HasPrefix(k, "TEMPORAL_") && !slices.Contains(shared, k) {
				shared = append(shared, k)
			}
		}
	}
	for _, k := range shared {
		require.Equal(t, server.Environment[k] == nil, worker.Environment[k] == nil, "%s set in one of server and worker only", k)
		require.Equal(t, env(server, k), env(worker, k), "%s differs between server and worker", k)
	}
	require.Contains(t, shared, "TEMPORAL_ADDRESS")
	require.Contains(t, shared, "TEMPORAL_NAMESPACE")
	require.NotEmpty(t, env(server, "FLOWLAB_DATABASE_URL"))
	require.Equal(t, env(server, "FLOWLAB_DATABASE_URL"), env(migrate, "FLOWLAB_DATABASE_URL"), "migrate migrates the store the others use")

	// The store URL names the postgres service with its credentials; the
	// Temporal address names the temporal service.
	pg := service(t, p, "postgres")
	u, err := url.Parse(env(server, "FLOWLAB_DATABASE_URL"))
	require.NoError(t, err)
	require.Equal(t, "postgres:5432", u.Host)
	require.Equal(t, env(pg, "POSTGRES_USER"), u.User.Username())
	pw, _ := u.User.Password()
	require.Equal(t, env(pg, "POSTGRES_PASSWORD"), pw)
	require.Equal(t, "/"+env(pg, "POSTGRES_DB"), u.Path)
	host, port, err := net.SplitHostPort(env(server, "TEMPORAL_ADDRESS"))
	require.NoError(t, err)
	require.Contains(t, p.Services, host)
	require.Equal(t, "7233", port)
	require.Equal(t, env(pg, "POSTGRES_PASSWORD"), env(service(t, p, "temporal"), "POSTGRES_PWD"))

	// A payload key set for the deployment reaches both.
	withKey, err := load(t, map[string]string{"FLOWLAB_ADMIN_TOKEN": "compose-test-admin-token-0123456789", "FLOWLAB_PAYLOAD_KEY": "k1:abc"})
	require.NoError(t, err)
	require.Equal(t, "k1:abc", env(service(t, withKey, "server"), "FLOWLAB_PAYLOAD_KEY"))
	require.Equal(t, "k1:abc", env(service(t, withKey, "worker"), "FLOWLAB_PAYLOAD_KEY"))
}

// TestComposeCommandsExist: every flowlab service runs a real subcommand
// with real flags, and sets only environment variables its --help names.
func TestComposeCommandsExist(t *testing.T) {
	p := mustLoad(t)
	commands := loadCommands(t)
	flowlabEnv := regexp.MustCompile(`^(FLOWLAB|TEMPORAL)_`)
	for _, s := range flowlabServices(p) {
		require.NotEmpty(t, s.Command, "%s: no command", s.Name)
		info, ok := commands[s.Command[0]]
		require.True(t, ok, "%s runs %q, which is not a flowlab subcommand", s.Name, s.Command[0])
		for _, arg := range s.Command[1:] {
			if strings.HasPrefix(arg, "--") {
				flag, _, _ := strings.Cut(arg, "=")
				require.Contains(t, info.Flags, flag, "%s: flowlab %s has no flag %s", s.Name, s.Command[0], flag)
			}
		}
		for k := range s.Environment {
			if flowlabEnv.MatchString(k) {
				require.Contains(t, info.Env, k, "%s: flowlab %s --help does not name %s", s.Name, s.Command[0], k)
			}
		}
		if s.HealthCheck != nil {
			test := s.HealthCheck.Test
			require.GreaterOrEqual(t, len(test), 3, "%s healthcheck", s.Name)
			require.Equal(t, "CMD", test[0])
			require.Equal(t, "/usr/local/bin/flowlab", test[1])
			_, ok := commands[test[2]]
			require.True(t, ok, "%s healthcheck runs %q", s.Name, test[2])
		}
	}
}

// TestComposeHealthAndShutdown: server and worker are checked at /healthz
// on the port they listen on, and Docker waits longer than they drain.
func TestComposeHealthAndShutdown(t *testing.T) {
	p := mustLoad(t)
	for _, tc := range []struct{ svc, addrEnv, timeoutEnv string }{
		{"server", "FLOWLAB_ADDR", "FLOWLAB_SHUTDOWN_TIMEOUT"},
		{"worker", "FLOWLAB_METRICS_ADDR", "FLOWLAB_WORKER_STOP_TIMEOUT"},
	} {
		s := service(t, p, tc.svc)
		_, port, err := net.SplitHostPort(env(s, tc.addrEnv))
		require.NoError(t, err, "%s %s", tc.svc, tc.addrEnv)
		require.NotNil(t, s.HealthCheck, tc.svc)
		require.Equal(t, []string{"CMD", "/usr/local/bin/flowlab", "healthcheck", "http://127.0.0.1:" + port + "/healthz"}, []string(s.HealthCheck.Test))
		timeout, err := time.ParseDuration(env(s, tc.timeoutEnv))
		require.NoError(t, err, "%s %s", tc.svc, tc.timeoutEnv)
		require.NotNil(t, s.StopGracePeriod, tc.svc)
		require.Greater(t, time.Duration(*s.StopGracePeriod), timeout, "%s: Docker must wait longer than %s before SIGKILL", tc.svc, tc.timeoutEnv)
	}
	require.Equal(t, []string{"migrate"}, []string(service(t, p, "migrate").Command))
	require.Len(t, service(t, p, "server").Ports, 1)
}

// TestComposeNeedsAdminToken: no default secret; without the token the
// file does not load and says what to set.
func TestComposeNeedsAdminToken(t *testing.T) {
	_, err := load(t, map[string]string{})
	require.ErrorContains(t, err, "FLOWLAB_ADMIN_TOKEN")
}

func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	require.NoError(t, err)
	df := string(b)
	froms := regexp.MustCompile(`(?m)^FROM\s+(\S+)`).FindAllStringSubmatch(df, -1)
	require.Len(t, froms, 2, "a builder and a runtime stage")
	require.True(t, strings.HasPrefix(froms[0][1], "golang:1.26"), froms[0][1])
	require.Contains(t, froms[1][1], ":nonroot", "the runtime image runs as non-root")
	require.Contains(t, df, "--mount=type=cache,target=/go/pkg/mod")
	require.Contains(t, df, "--mount=type=cache,target=/root/.cache/go-build")
	require.Contains(t, df, "CGO_ENABLED=0", "the static runtime image has no libc")
	require.Regexp(t, `(?m)^USER nonroot`, df)
	require.Regexp(t, `(?m)^ENTRYPOINT \["/usr/local/bin/flowlab"\]`, df)

	ignore, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	require.NoError(t, err)
	for _, pattern := range []string{".git", ".flowlab", "**/*.db"} {
		require.Contains(t, strings.Split(string(ignore), "\n"), pattern)
	}
}
