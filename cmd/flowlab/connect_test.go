package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/flowlab/flowlab/searchattr"
	"github.com/flowlab/flowlab/workflows"
)

// testPKI is a throwaway CA with a server certificate for temporal.test
// and a client certificate, written as PEM files.
type testPKI struct {
	dir                                   string
	caFile, serverCert, serverKey         string
	clientCert, clientKey                 string
	caPool                                *x509.CertPool
	serverPair                            tls.Certificate
	otherCAFile, garbageFile, missingFile string
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	dir := t.TempDir()
	p := &testPKI{dir: dir, caPool: x509.NewCertPool()}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "flowlab test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	p.caPool.AddCert(ca)
	p.caFile = writePEM(t, dir, "ca.pem", "CERTIFICATE", caDER)

	issue := func(name string, serial int64, usage x509.ExtKeyUsage, dns []string) (string, string) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name}, DNSNames: dns,
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		require.NoError(t, err)
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		require.NoError(t, err)
		return writePEM(t, dir, name+".pem", "CERTIFICATE", der), writePEM(t, dir, name+".key", "PRIVATE KEY", keyDER)
	}
	p.serverCert, p.serverKey = issue("temporal.test", 2, x509.ExtKeyUsageServerAuth, []string{"temporal.test"})
	p.clientCert, p.clientKey = issue("flowlab-worker", 3, x509.ExtKeyUsageClientAuth, nil)
	p.serverPair, err = tls.LoadX509KeyPair(p.serverCert, p.serverKey)
	require.NoError(t, err)

	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	otherDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &otherKey.PublicKey, otherKey)
	require.NoError(t, err)
	p.otherCAFile = writePEM(t, dir, "other-ca.pem", "CERTIFICATE", otherDER)
	p.garbageFile = filepath.Join(dir, "garbage.pem")
	require.NoError(t, os.WriteFile(p.garbageFile, []byte("not a certificate\n"), 0o600))
	p.missingFile = filepath.Join(dir, "missing.pem")
	return p
}

func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
	return path
}

// parseTemporalFlags parses args after setting env, as the server and
// worker commands do.
func parseTemporalFlags(t *testing.T, env map[string]string, args ...string) *temporalFlags {
	t.Helper()
	for _, name := range []string{"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_NAMESPACE_RETENTION", "TEMPORAL_TLS_CA", "TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY", "TEMPORAL_TLS_SERVER_NAME", "TEMPORAL_API_KEY"} {
		t.Setenv(name, env[name])
	}
	var tf temporalFlags
	cmd := &cobra.Command{Use: "x"}
	tf.add(cmd)
	require.NoError(t, cmd.ParseFlags(args))
	return &tf
}

func TestTemporalFlagsFromEnvAndFlags(t *testing.T) {
	tf := parseTemporalFlags(t, nil)
	require.Equal(t, "127.0.0.1:7233", tf.address)
	require.Equal(t, "default", tf.namespace)
	opts, err := tf.clientOptions(connExtras{})
	require.NoError(t, err)
	require.Nil(t, opts.ConnectionOptions.TLS, "no TLS setting, no TLS")
	require.Nil(t, opts.Credentials)
	ret, err := tf.retentionPeriod()
	require.NoError(t, err)
	require.Equal(t, 30*24*time.Hour, ret)

	pki := newTestPKI(t)
	env := map[string]string{
		"TEMPORAL_ADDRESS": "temporal:7233", "TEMPORAL_NAMESPACE": "acme", "TEMPORAL_NAMESPACE_RETENTION": "3d",
		"TEMPORAL_TLS_CA": pki.caFile, "TEMPORAL_TLS_CERT": pki.clientCert, "TEMPORAL_TLS_KEY": pki.clientKey,
		"TEMPORAL_TLS_SERVER_NAME": "temporal.test", "TEMPORAL_API_KEY": "key-from-env",
	}
	tf = parseTemporalFlags(t, env)
	opts, err = tf.clientOptions(connExtras{})
	require.NoError(t, err)
	require.Equal(t, "temporal:7233", opts.HostPort)
	require.Equal(t, "acme", opts.Namespace)
	require.NotNil(t, opts.Credentials)
	cfg := opts.ConnectionOptions.TLS
	require.NotNil(t, cfg)
	require.Equal(t, "temporal.test", cfg.ServerName)
	require.Len(t, cfg.Certificates, 1)
	require.True(t, cfg.RootCAs.Equal(pki.caPool))
	ret, err = tf.retentionPeriod()
	require.NoError(t, err)
	require.Equal(t, 72*time.Hour, ret)

	// Flags win over the environment.
	tf = parseTemporalFlags(t, env, "--temporal-address", "other:7233", "--namespace", "flags", "--tls-server-name", "other.test")
	opts, err = tf.clientOptions(connExtras{})
	require.NoError(t, err)
	require.Equal(t, "other:7233", opts.HostPort)
	require.Equal(t, "flags", opts.Namespace)
	require.Equal(t, "other.test", opts.ConnectionOptions.TLS.ServerName)

	// A CA alone turns TLS on without a client certificate.
	tf = parseTemporalFlags(t, nil, "--tls-ca", pki.caFile)
	opts, err = tf.clientOptions(connExtras{})
	require.NoError(t, err)
	require.NotNil(t, opts.ConnectionOptions.TLS)
	require.Empty(t, opts.ConnectionOptions.TLS.Certificates)
}

func TestTemporalFlagsUsageErrors(t *testing.T) {
	pki := newTestPKI(t)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"cert without key", []string{"--tls-cert", pki.clientCert}, "--tls-cert (TEMPORAL_TLS_CERT) needs --tls-key"},
		{"key without cert", []string{"--tls-key", pki.clientKey}, "--tls-key (TEMPORAL_TLS_KEY) needs --tls-cert"},
		{"unreadable CA", []string{"--tls-ca", pki.missingFile}, "--tls-ca (TEMPORAL_TLS_CA): open " + pki.missingFile},
		{"CA not PEM", []string{"--tls-ca", pki.garbageFile}, "no PEM certificate"},
		{"missing cert file", []string{"--tls-cert", pki.missingFile, "--tls-key", pki.clientKey}, "--tls-cert (TEMPORAL_TLS_CERT): open"},
		{"missing key file", []string{"--tls-cert", pki.clientCert, "--tls-key", pki.missingFile}, "--tls-key (TEMPORAL_TLS_KEY): open"},
		{"key of another cert", []string{"--tls-cert", pki.clientCert, "--tls-key", pki.serverKey}, "private key does not match public key"},
		{"cert not PEM", []string{"--tls-cert", pki.garbageFile, "--tls-key", pki.clientKey}, "--tls-cert/--tls-key"},
		{"empty address", []string{"--temporal-address", " "}, "--temporal-address (TEMPORAL_ADDRESS) is empty"},
		{"empty namespace", []string{"--namespace", ""}, "--namespace (TEMPORAL_NAMESPACE) is empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tf := parseTemporalFlags(t, nil, tc.args...)
			_, err := tf.clientOptions(connExtras{})
			require.ErrorContains(t, err, tc.want)
			require.Equal(t, exitUsage, exitCode(err))
		})
	}
	for _, bad := range []string{"soon", "12h", "0d"} {
		tf := parseTemporalFlags(t, nil, "--namespace-retention", bad)
		_, err := tf.retentionPeriod()
		require.ErrorContains(t, err, "--namespace-retention (TEMPORAL_NAMESPACE_RETENTION) \""+bad+"\"")
		require.Equal(t, exitUsage, exitCode(err))
	}
}

// TestProcessCommandsRefuseBadFlags runs server, worker and dev with bad
// settings: each is a usage error (exit 2) before anything is contacted.
func TestProcessCommandsRefuseBadFlags(t *testing.T) {
	pki := newTestPKI(t)
	t.Setenv("FLOWLAB_PAYLOAD_KEY", "")
	t.Setenv("FLOWLAB_PAYLOAD_KEY_FILE", "")
	t.Setenv("FLOWLAB_LOG_FORMAT", "")
	t.Setenv("FLOWLAB_LOG_LEVEL", "")
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"server", "--tls-cert", pki.clientCert}, nil, "needs --tls-key"},
		{[]string{"worker", "--tls-ca", pki.garbageFile}, nil, "no PEM certificate"},
		{[]string{"worker"}, map[string]string{"TEMPORAL_TLS_KEY": pki.clientKey}, "--tls-key (TEMPORAL_TLS_KEY) needs --tls-cert"},
		{[]string{"server", "--log-format", "xml"}, nil, `--log-format (FLOWLAB_LOG_FORMAT) "xml": want text or json`},
		{[]string{"worker"}, map[string]string{"FLOWLAB_LOG_LEVEL": "loud"}, `--log-level (FLOWLAB_LOG_LEVEL) "loud"`},
		{[]string{"worker"}, map[string]string{"FLOWLAB_PAYLOAD_KEY": "k1:tooshort"}, "FLOWLAB_PAYLOAD_KEY: codec: key 1"},
		{[]string{"server", "--payload-key-file", pki.missingFile}, nil, "--payload-key-file: codec: read key file"},
		{[]string{"dev", "--payload-key-file", pki.garbageFile}, nil, "--payload-key-file: codec: key 1"},
		{[]string{"server", "--payload-key-file", pki.caFile}, map[string]string{"FLOWLAB_PAYLOAD_KEY": "k1:" + base64.StdEncoding.EncodeToString(make([]byte, 32))}, "not both"},
		{[]string{"server", "--shutdown-timeout", "0s"}, nil, `--shutdown-timeout (FLOWLAB_SHUTDOWN_TIMEOUT) "0s"`},
		{[]string{"worker"}, map[string]string{"FLOWLAB_WORKER_STOP_TIMEOUT": "later"}, `--stop-timeout (FLOWLAB_WORKER_STOP_TIMEOUT) "later"`},
		{[]string{"server", "--namespace-retention", "1h"}, nil, "want a duration of at least 1d"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var out, errb bytes.Buffer
			args := append(tc.args, "--temporal-address", "127.0.0.1:1", "--database-url", "sqlite:"+filepath.Join(t.TempDir(), "x.db"))
			if tc.args[0] == "dev" {
				args = append(tc.args, "--data", t.TempDir(), "--addr", "127.0.0.1:0")
			}
			code := execute(context.Background(), args, &out, &errb)
			require.Equal(t, exitUsage, code, errb.String())
			require.Contains(t, errb.String(), tc.want)
		})
	}
}

func TestLogFlags(t *testing.T) {
	for _, tc := range []struct{ format, want string }{{"text", "level=INFO msg=hello"}, {"json", `"msg":"hello"`}} {
		l := logFlags{level: "info", format: tc.format}
		var buf bytes.Buffer
		logger, err := l.loggerTo(&buf)
		require.NoError(t, err)
		logger.Info("hello")
		logger.Debug("not at info")
		require.Contains(t, buf.String(), tc.want)
		require.NotContains(t, buf.String(), "not at info")
	}

	// The SDK logs at warn and above unless the process logs at debug.
	var buf bytes.Buffer
	info, err := (&logFlags{level: "info", format: "text"}).loggerTo(&buf)
	require.NoError(t, err)
	sdk := sdkLoggerFor(info).With("component", "poller")
	sdk.Info("poll ok")
	sdk.Warn("poll failed")
	require.NotContains(t, buf.String(), "poll ok")
	require.Contains(t, buf.String(), "poll failed")
	debug, err := (&logFlags{level: "debug", format: "text"}).loggerTo(&buf)
	require.NoError(t, err)
	sdkLoggerFor(debug).Info("poll detail")
	require.Contains(t, buf.String(), "poll detail")
}

// fakeFrontend is a Temporal frontend that answers GetSystemInfo (what a
// client dials with) and records the credentials it was called with.
type fakeFrontend struct {
	workflowservice.UnimplementedWorkflowServiceServer
	mu       sync.Mutex
	auth     []string
	clientCN []string
}

func (f *fakeFrontend) GetSystemInfo(ctx context.Context, _ *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	md, _ := metadata.FromIncomingContext(ctx)
	f.auth = append(f.auth, md.Get("authorization")...)
	if p, ok := peer.FromContext(ctx); ok {
		if ti, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(ti.State.PeerCertificates) > 0 {
			f.clientCN = append(f.clientCN, ti.State.PeerCertificates[0].Subject.CommonName)
		}
	}
	return &workflowservice.GetSystemInfoResponse{Capabilities: &workflowservice.GetSystemInfoResponse_Capabilities{}}, nil
}

func startFakeFrontend(t *testing.T, pki *testPKI, clientAuth tls.ClientAuthType) (*fakeFrontend, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &fakeFrontend{}
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{pki.serverPair}, ClientCAs: pki.caPool, ClientAuth: clientAuth, MinVersion: tls.VersionTLS12,
	})))
	workflowservice.RegisterWorkflowServiceServer(srv, f)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return f, ln.Addr().String()
}

// TestDialOverTLS dials a TLS frontend with the options the flags build:
// mTLS with a private CA and a server name, an API key on top; and shows
// that the server name and the client certificate matter.
func TestDialOverTLS(t *testing.T) {
	pki := newTestPKI(t)
	quiet := connExtras{logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))}
	dial := func(t *testing.T, addr string, args ...string) error {
		t.Helper()
		tf := parseTemporalFlags(t, nil, append([]string{"--temporal-address", addr}, args...)...)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := tf.dial(ctx, quiet)
		if err == nil {
			c.Close()
		}
		return err
	}

	mtls, addr := startFakeFrontend(t, pki, tls.RequireAndVerifyClientCert)
	require.NoError(t, dial(t, addr, "--tls-ca", pki.caFile, "--tls-server-name", "temporal.test", "--tls-cert", pki.clientCert, "--tls-key", pki.clientKey, "--api-key", "sekret"))
	mtls.mu.Lock()
	require.Contains(t, mtls.clientCN, "flowlab-worker")
	require.Contains(t, mtls.auth, "Bearer sekret")
	mtls.mu.Unlock()

	require.Error(t, dial(t, addr, "--tls-ca", pki.caFile, "--tls-server-name", "temporal.test"), "the server requires a client certificate")
	require.Error(t, dial(t, addr, "--tls-ca", pki.caFile, "--tls-cert", pki.clientCert, "--tls-key", pki.clientKey), "the certificate is for temporal.test, not 127.0.0.1")
	require.Error(t, dial(t, addr, "--tls-ca", pki.otherCAFile, "--tls-server-name", "temporal.test", "--tls-cert", pki.clientCert, "--tls-key", pki.clientKey), "signed by another CA")

	// An API key alone turns TLS on (Temporal Cloud); here with the test CA.
	apiKeyOnly, addr2 := startFakeFrontend(t, pki, tls.NoClientCert)
	require.NoError(t, dial(t, addr2, "--tls-ca", pki.caFile, "--tls-server-name", "temporal.test", "--api-key", "cloud-key"))
	apiKeyOnly.mu.Lock()
	require.Equal(t, []string{"Bearer cloud-key"}, apiKeyOnly.auth)
	apiKeyOnly.mu.Unlock()
	require.Error(t, dial(t, addr2, "--api-key", "cloud-key"), "TLS with the system's CAs does not trust the test CA")
}

// TestPrepareNamespaceIdempotent registers a namespace and flowlab's
// search attributes on a real Temporal, twice.
func TestPrepareNamespaceIdempotent(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	ctx := context.Background()
	const ns = "flowlab-prepare-test"
	c, err := client.DialContext(ctx, client.Options{HostPort: ts.GetFrontendHostPort(), Namespace: ns,
		Logger: sdkLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))})
	require.NoError(t, err)
	defer c.Close()

	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	require.NoError(t, prepareNamespace(ctx, c, ns, 3*24*time.Hour, logger))
	require.Contains(t, logs.String(), "registered Temporal namespace")
	logs.Reset()
	require.NoError(t, prepareNamespace(ctx, c, ns, 5*24*time.Hour, logger), "the second start finds everything in place")
	require.NotContains(t, logs.String(), "registered")
	require.NotContains(t, logs.String(), "level=WARN")

	desc, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: ns})
	require.NoError(t, err)
	require.Equal(t, 3*24*time.Hour, desc.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(), "an existing namespace is left as it is")
	sas, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	require.NoError(t, err)
	for name, typ := range searchattr.Types(workflows.SearchAttributes()) {
		require.Equal(t, typ, sas.GetCustomAttributes()[name], name)
	}
}

func TestSearchAttributeListForOperators(t *testing.T) {
	list := searchAttributeList()
	require.Contains(t, list, "FlowKey=KEYWORD")
	require.Contains(t, list, "FlowVersion=INT")
}

// lockedFrontend is a Temporal that knows its namespace but refuses what
// a Temporal Cloud API key may not do.
type lockedFrontend struct {
	workflowservice.UnimplementedWorkflowServiceServer
	operatorservice.UnimplementedOperatorServiceServer
	namespaceExists bool
}

func (f *lockedFrontend) GetSystemInfo(context.Context, *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	return &workflowservice.GetSystemInfoResponse{Capabilities: &workflowservice.GetSystemInfoResponse_Capabilities{}}, nil
}

func (f *lockedFrontend) DescribeNamespace(_ context.Context, r *workflowservice.DescribeNamespaceRequest) (*workflowservice.DescribeNamespaceResponse, error) {
	if f.namespaceExists {
		return &workflowservice.DescribeNamespaceResponse{}, nil
	}
	return nil, grpcErr(serviceerror.NewNamespaceNotFound(r.GetNamespace()))
}

func (f *lockedFrontend) RegisterNamespace(context.Context, *workflowservice.RegisterNamespaceRequest) (*workflowservice.RegisterNamespaceResponse, error) {
	return nil, grpcErr(serviceerror.NewPermissionDenied("api key may not register namespaces", ""))
}

func (f *lockedFrontend) ListSearchAttributes(context.Context, *operatorservice.ListSearchAttributesRequest) (*operatorservice.ListSearchAttributesResponse, error) {
	return nil, grpcErr(serviceerror.NewPermissionDenied("api key may not manage search attributes", ""))
}

// grpcErr is the status a Temporal frontend sends for err.
func grpcErr(err error) error { return serviceerror.ToStatus(err).Err() }

// TestPrepareNamespaceNotAllowed: where Temporal refuses, the start goes
// on with a warning that says what to ask the operator for.
func TestPrepareNamespaceNotAllowed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		exists bool
		want   []string
	}{
		{"namespace", false, []string{"level=WARN", "ask the Temporal operator to create it", "namespace=acme.x1", "retention=72h0m0s"}},
		{"search attributes", true, []string{"level=WARN", "ask the Temporal operator to add them", "FlowKey=KEYWORD", "FlowVersion=INT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			f := &lockedFrontend{namespaceExists: tc.exists}
			srv := grpc.NewServer()
			workflowservice.RegisterWorkflowServiceServer(srv, f)
			operatorservice.RegisterOperatorServiceServer(srv, f)
			go func() { _ = srv.Serve(ln) }()
			defer srv.Stop()
			ctx := context.Background()
			c, err := client.DialContext(ctx, client.Options{HostPort: ln.Addr().String(), Namespace: "acme.x1", Logger: sdkLogger(sdkLoggerFor(discard()))})
			require.NoError(t, err)
			defer c.Close()

			var logs bytes.Buffer
			require.NoError(t, prepareNamespace(ctx, c, "acme.x1", 72*time.Hour, slog.New(slog.NewTextHandler(&logs, nil))))
			for _, w := range tc.want {
				require.Contains(t, logs.String(), w)
			}
		})
	}
}

// TestHelpShowsNoSecrets: flags fed by secret environment variables take
// no default from them, so --help (pasted into tickets) leaks nothing.
func TestHelpShowsNoSecrets(t *testing.T) {
	t.Setenv("TEMPORAL_API_KEY", "apikey-s3cret-4711")
	t.Setenv("FLOWLAB_DATABASE_URL", "postgres://flowlab:db-s3cret-4711@db:5432/flowlab")
	for _, cmd := range []string{"server", "worker", "migrate"} {
		var out, errb bytes.Buffer
		require.Equal(t, exitOK, execute(context.Background(), []string{cmd, "--help"}, &out, &errb))
		require.NotContains(t, out.String(), "s3cret", cmd)
		require.Contains(t, out.String(), "FLOWLAB_DATABASE_URL", cmd)
	}
	// The environment still applies.
	tf := parseTemporalFlags(t, map[string]string{"TEMPORAL_API_KEY": "apikey-s3cret-4711"})
	opts, err := tf.clientOptions(connExtras{})
	require.NoError(t, err)
	require.NotNil(t, opts.Credentials)
}

func TestMigrateReadsDatabaseURLFromEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flowlab.db")
	t.Setenv("FLOWLAB_DATABASE_URL", "sqlite:"+path)
	var out, errb bytes.Buffer
	require.Equal(t, exitOK, execute(context.Background(), []string{"migrate"}, &out, &errb), errb.String())
	require.Contains(t, out.String(), "migrations applied")
	_, err := os.Stat(path)
	require.NoError(t, err)

	t.Setenv("FLOWLAB_DATABASE_URL", "")
	require.Equal(t, exitUsage, execute(context.Background(), []string{"migrate"}, &out, &errb))
	require.Contains(t, errb.String(), "a database URL is required")
}
