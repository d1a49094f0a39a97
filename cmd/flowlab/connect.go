package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/flowlab/flowlab/codec"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/searchattr"
	"github.com/flowlab/flowlab/workflows"
)

// defaultRetention is how long Temporal keeps the history of a closed
// case when flowlab registers the namespace itself.
const defaultRetention = "30d"

// temporalFlags are the connection settings of server and worker.
type temporalFlags struct {
	address       string
	namespace     string
	retention     string
	tlsCA         string
	tlsCert       string
	tlsKey        string
	tlsServerName string
	apiKey        string
}

func (f *temporalFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.address, "temporal-address", envOr("TEMPORAL_ADDRESS", "127.0.0.1:7233"), "Temporal frontend host:port (env TEMPORAL_ADDRESS)")
	fl.StringVar(&f.namespace, "namespace", envOr("TEMPORAL_NAMESPACE", "default"), "Temporal namespace, registered at start when missing (env TEMPORAL_NAMESPACE)")
	fl.StringVar(&f.retention, "namespace-retention", envOr("TEMPORAL_NAMESPACE_RETENTION", defaultRetention), "history retention of closed cases when the namespace is registered at start, e.g. 30d (env TEMPORAL_NAMESPACE_RETENTION)")
	fl.StringVar(&f.tlsCA, "tls-ca", envOr("TEMPORAL_TLS_CA", ""), "PEM file of the CA that signed the Temporal frontend's certificate; enables TLS (env TEMPORAL_TLS_CA)")
	fl.StringVar(&f.tlsCert, "tls-cert", envOr("TEMPORAL_TLS_CERT", ""), "PEM client certificate for mTLS, with --tls-key; enables TLS (env TEMPORAL_TLS_CERT)")
	fl.StringVar(&f.tlsKey, "tls-key", envOr("TEMPORAL_TLS_KEY", ""), "PEM private key of --tls-cert (env TEMPORAL_TLS_KEY)")
	fl.StringVar(&f.tlsServerName, "tls-server-name", envOr("TEMPORAL_TLS_SERVER_NAME", ""), "name to verify the frontend's certificate against, when it differs from the address's host; enables TLS (env TEMPORAL_TLS_SERVER_NAME)")
	fl.StringVar(&f.apiKey, "api-key", "", "API key sent as a bearer token (Temporal Cloud); enables TLS with the system's CAs unless --tls-ca is set; prefer the env var, flags show in ps (env TEMPORAL_API_KEY)")
}

// retentionPeriod parses --namespace-retention.
func (f *temporalFlags) retentionPeriod() (time.Duration, error) {
	d, err := flow.ParseDuration(f.retention)
	if err != nil || d.D() < 24*time.Hour {
		return 0, usageError{fmt.Errorf("--namespace-retention (TEMPORAL_NAMESPACE_RETENTION) %q: want a duration of at least 1d, like 30d", f.retention)}
	}
	return d.D(), nil
}

// tlsConfig builds the TLS settings the flags ask for: nil when none is
// set. Missing halves of a key pair and unreadable or invalid files are
// usage errors.
func (f *temporalFlags) tlsConfig() (*tls.Config, error) {
	if f.tlsCA == "" && f.tlsCert == "" && f.tlsKey == "" && f.tlsServerName == "" {
		return nil, nil
	}
	switch {
	case f.tlsCert != "" && f.tlsKey == "":
		return nil, usageError{errors.New("--tls-cert (TEMPORAL_TLS_CERT) needs --tls-key (TEMPORAL_TLS_KEY): a client certificate is useless without its private key")}
	case f.tlsKey != "" && f.tlsCert == "":
		return nil, usageError{errors.New("--tls-key (TEMPORAL_TLS_KEY) needs --tls-cert (TEMPORAL_TLS_CERT)")}
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: f.tlsServerName}
	if f.tlsCA != "" {
		pem, err := os.ReadFile(f.tlsCA)
		if err != nil {
			return nil, usageError{fmt.Errorf("--tls-ca (TEMPORAL_TLS_CA): %w", err)}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usageError{fmt.Errorf("--tls-ca (TEMPORAL_TLS_CA) %s: no PEM certificate in the file", f.tlsCA)}
		}
		cfg.RootCAs = pool
	}
	if f.tlsCert != "" {
		certPEM, err := os.ReadFile(f.tlsCert)
		if err != nil {
			return nil, usageError{fmt.Errorf("--tls-cert (TEMPORAL_TLS_CERT): %w", err)}
		}
		keyPEM, err := os.ReadFile(f.tlsKey)
		if err != nil {
			return nil, usageError{fmt.Errorf("--tls-key (TEMPORAL_TLS_KEY): %w", err)}
		}
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, usageError{fmt.Errorf("--tls-cert/--tls-key (%s, %s): %w", f.tlsCert, f.tlsKey, err)}
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// clientOptions builds the client options of the flags; the connection
// extras (logger, metrics, payload codec) come from conn.
func (f *temporalFlags) clientOptions(conn connExtras) (client.Options, error) {
	if strings.TrimSpace(f.address) == "" {
		return client.Options{}, usageError{errors.New("--temporal-address (TEMPORAL_ADDRESS) is empty")}
	}
	if strings.TrimSpace(f.namespace) == "" {
		return client.Options{}, usageError{errors.New("--namespace (TEMPORAL_NAMESPACE) is empty")}
	}
	cfg, err := f.tlsConfig()
	if err != nil {
		return client.Options{}, err
	}
	opts := conn.apply(client.Options{HostPort: f.address, Namespace: f.namespace})
	opts.ConnectionOptions.TLS = cfg
	if key := flagOrEnv(f.apiKey, "TEMPORAL_API_KEY"); key != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(key)
	}
	return opts, nil
}

// dial connects to Temporal.
func (f *temporalFlags) dial(ctx context.Context, conn connExtras) (client.Client, error) {
	opts, err := f.clientOptions(conn)
	if err != nil {
		return nil, err
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s (namespace %s): %w", f.address, f.namespace, err)
	}
	return c, nil
}

// connExtras are the client settings every process shares, whatever
// Temporal it talks to: logging, metrics and the payload codec.
type connExtras struct {
	logger  *slog.Logger
	metrics client.MetricsHandler
	codec   *codec.Codec
}

func (x connExtras) apply(opts client.Options) client.Options {
	if x.logger != nil {
		opts.Logger = sdkLogger(sdkLoggerFor(x.logger))
	}
	if x.metrics != nil {
		opts.MetricsHandler = x.metrics
	}
	if x.codec != nil {
		dc := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), x.codec)
		opts.DataConverter = dc
		// Failure messages and stack traces may quote customer data too.
		opts.FailureConverter = temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
			DataConverter:          dc,
			EncodeCommonAttributes: true,
		})
	}
	return opts
}

// payloadKeyFlags select the payload-encryption keys: server, worker and
// dev must all be given the same ring.
type payloadKeyFlags struct{ file string }

func (p *payloadKeyFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&p.file, "payload-key-file", envOr("FLOWLAB_PAYLOAD_KEY_FILE", ""),
		"file of AES-256 keys that encrypt Temporal payloads, one ID:BASE64KEY a line, newest first; or put them in FLOWLAB_PAYLOAD_KEY (env FLOWLAB_PAYLOAD_KEY_FILE)")
}

// codec returns the payload codec, or nil when encryption is off. A
// malformed key is a usage error: a process that cannot read what the
// others write must not start.
func (p *payloadKeyFlags) codec() (*codec.Codec, error) {
	inline := os.Getenv("FLOWLAB_PAYLOAD_KEY")
	switch {
	case p.file != "" && inline != "":
		return nil, usageError{errors.New("payload keys: set FLOWLAB_PAYLOAD_KEY or --payload-key-file (FLOWLAB_PAYLOAD_KEY_FILE), not both")}
	case p.file != "":
		ring, err := codec.LoadKeyring(p.file)
		if err != nil {
			return nil, usageError{fmt.Errorf("--payload-key-file: %w", err)}
		}
		return codec.New(ring), nil
	case inline != "":
		ring, err := codec.ParseKeyring(inline)
		if err != nil {
			return nil, usageError{fmt.Errorf("FLOWLAB_PAYLOAD_KEY: %w", err)}
		}
		return codec.New(ring), nil
	}
	return nil, nil
}

// logFlags select the log level and format of a process.
type logFlags struct{ level, format string }

func (l *logFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&l.level, "log-level", envOr("FLOWLAB_LOG_LEVEL", "info"), "log level: debug, info, warn, error (env FLOWLAB_LOG_LEVEL)")
	cmd.Flags().StringVar(&l.format, "log-format", envOr("FLOWLAB_LOG_FORMAT", "text"), "log format: text (logfmt) or json, one object a line (env FLOWLAB_LOG_FORMAT)")
}

// logger builds the process logger, writing to stderr.
func (l *logFlags) logger() (*slog.Logger, error) { return l.loggerTo(os.Stderr) }

func (l *logFlags) loggerTo(w io.Writer) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(l.level)); err != nil {
		return nil, usageError{fmt.Errorf("--log-level (FLOWLAB_LOG_LEVEL) %q: want debug, info, warn or error", l.level)}
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch l.format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageError{fmt.Errorf("--log-format (FLOWLAB_LOG_FORMAT) %q: want text or json", l.format)}
}

// sdkLoggerFor is the logger the Temporal SDK gets: the process's, but at
// warn and above unless the process logs at debug, so routine poller
// chatter stays out of the log.
func sdkLoggerFor(l *slog.Logger) *slog.Logger {
	if l.Enabled(context.Background(), slog.LevelDebug) {
		return l
	}
	return slog.New(minLevel{l.Handler(), slog.LevelWarn})
}

type minLevel struct {
	slog.Handler
	min slog.Level
}

func (m minLevel) Enabled(ctx context.Context, lv slog.Level) bool {
	return lv >= m.min && m.Handler.Enabled(ctx, lv)
}
func (m minLevel) WithAttrs(a []slog.Attr) slog.Handler {
	return minLevel{m.Handler.WithAttrs(a), m.min}
}
func (m minLevel) WithGroup(n string) slog.Handler { return minLevel{m.Handler.WithGroup(n), m.min} }

// prepareNamespace registers the namespace when it is missing, then
// flowlab's search attributes. A Temporal that does not let this client
// do either (Temporal Cloud, a locked-down cluster) gets a warning saying
// what to ask its operator for, and flowlab goes on: the namespace may
// well be set up already.
func prepareNamespace(ctx context.Context, c client.Client, namespace string, retention time.Duration, logger *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := ensureNamespace(ctx, c, namespace, retention, logger); err != nil {
		if isNotAllowed(err) {
			logger.Warn("not allowed to register the Temporal namespace; ask the Temporal operator to create it",
				"namespace", namespace, "retention", retention.String(), "err", err)
			return nil
		}
		return err
	}
	if err := ensureSearchAttributesRetry(ctx, c, namespace); err != nil {
		if isNotAllowed(err) {
			logger.Warn("not allowed to register flowlab's search attributes; ask the Temporal operator to add them to the namespace",
				"namespace", namespace, "search_attributes", searchAttributeList(), "err", err)
			return nil
		}
		return err
	}
	return nil
}

// ensureNamespace registers namespace unless it exists; it is idempotent
// and safe to run from many processes at once.
func ensureNamespace(ctx context.Context, c client.Client, namespace string, retention time.Duration, logger *slog.Logger) error {
	ws := c.WorkflowService()
	_, err := ws.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	if err == nil {
		return nil
	}
	var nf *serviceerror.NamespaceNotFound
	var nf2 *serviceerror.NotFound
	if !errors.As(err, &nf) && !errors.As(err, &nf2) {
		return fmt.Errorf("describe namespace %q: %w", namespace, err)
	}
	_, err = ws.RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace:                        namespace,
		Description:                      "flowlab cases",
		WorkflowExecutionRetentionPeriod: durationpb.New(retention),
	})
	var exists *serviceerror.NamespaceAlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("register namespace %q: %w", namespace, err)
	}
	if err == nil {
		logger.Info("registered Temporal namespace", "namespace", namespace, "retention", retention.String())
	}
	return nil
}

// ensureSearchAttributesRetry registers the search attributes, retrying
// while a namespace registered a moment ago is not yet known to every
// Temporal service (its namespace cache refreshes every few seconds).
func ensureSearchAttributesRetry(ctx context.Context, c client.Client, namespace string) error {
	for wait := 250 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		err := searchattr.Ensure(ctx, c, namespace, searchattr.Types(workflows.SearchAttributes()))
		var nf *serviceerror.NamespaceNotFound
		var nf2 *serviceerror.NotFound
		if err == nil || (!errors.As(err, &nf) && !errors.As(err, &nf2)) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (namespace %q still unknown: %w)", err, namespace, ctx.Err())
		case <-time.After(wait):
		}
	}
}

// isNotAllowed reports whether Temporal refused the call to this client:
// PermissionDenied, or Unimplemented where a hosted service does not
// offer the operator API.
func isNotAllowed(err error) bool {
	var pd *serviceerror.PermissionDenied
	var ui *serviceerror.Unimplemented
	return errors.As(err, &pd) || errors.As(err, &ui)
}

// searchAttributeList names flowlab's search attributes and their types,
// for an operator to create them.
func searchAttributeList() string {
	types := searchattr.Types(workflows.SearchAttributes())
	out := make([]string, 0, len(types))
	for name, t := range types {
		out = append(out, name+"="+strings.TrimPrefix(enumspb.IndexedValueType_name[int32(t)], "INDEXED_VALUE_TYPE_"))
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
