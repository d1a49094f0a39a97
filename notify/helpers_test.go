package notify_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"
)

// mailServer is an SMTP server on 127.0.0.1 that keeps what it receives.
// While reject is set it answers MAIL FROM with 451 (try again later).
// With a user it requires AUTH PLAIN; with a TLS configuration it offers
// STARTTLS.
type mailServer struct {
	Host string
	Port int

	reject     atomic.Bool
	user, pass string

	mu       sync.Mutex
	received []receivedMail
	authed   []string
	tls      []bool
}

type receivedMail struct {
	From string
	To   []string
	Data []byte
}

type mailOptions struct {
	user, pass string
	tls        *tls.Config
}

func startMailServer(t *testing.T, o mailOptions) *mailServer {
	t.Helper()
	ms := &mailServer{user: o.user, pass: o.pass}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &mailSession{ms: ms, conn: c}, nil
	}))
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.MaxMessageBytes = 1 << 20
	s.TLSConfig = o.tls
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Close() })
	addr := ln.Addr().(*net.TCPAddr)
	ms.Host, ms.Port = "127.0.0.1", addr.Port
	return ms
}

func (ms *mailServer) messages() []receivedMail {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]receivedMail(nil), ms.received...)
}

type mailSession struct {
	ms     *mailServer
	conn   *smtp.Conn
	authed bool
	from   string
	to     []string
}

func (s *mailSession) AuthMechanisms() []string {
	if s.ms.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.ms.user || pass != s.ms.pass {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		s.ms.mu.Lock()
		s.ms.authed = append(s.ms.authed, user)
		s.ms.mu.Unlock()
		return nil
	}), nil
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.ms.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	if s.ms.reject.Load() {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.from = from
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.ms.mu.Lock()
	s.ms.received = append(s.ms.received, receivedMail{From: s.from, To: s.to, Data: b})
	s.ms.tls = append(s.ms.tls, isTLS)
	s.ms.mu.Unlock()
	return nil
}

func (s *mailSession) Reset()        { s.from, s.to = "", nil }
func (s *mailSession) Logout() error { return nil }

// parsedMail is a received message decoded: its headers (the subject
// decoded) and its plain-text and HTML parts.
type parsedMail struct {
	Header  mail.Header
	Subject string
	Text    string
	HTML    string
}

func parseMail(t *testing.T, raw []byte) parsedMail {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	require.NoError(t, err)
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(m.Header.Get("Subject"))
	require.NoError(t, err)
	out := parsedMail{Header: m.Header, Subject: subject}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	require.NoError(t, err)
	part := func(ct, enc string, body io.Reader) {
		if strings.EqualFold(enc, "quoted-printable") {
			body = quotedprintable.NewReader(body)
		}
		b, err := io.ReadAll(body)
		require.NoError(t, err)
		switch {
		case strings.HasPrefix(ct, "text/plain"):
			out.Text = string(b)
		case strings.HasPrefix(ct, "text/html"):
			out.HTML = string(b)
		}
	}
	if !strings.HasPrefix(mt, "multipart/") {
		part(mt, m.Header.Get("Content-Transfer-Encoding"), m.Body)
		return out
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		part(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
	}
	return out
}

// selfSigned is a certificate for 127.0.0.1, and a client configuration
// that trusts it.
func selfSigned(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12},
		&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// hookReceiver is a chat webhook on 127.0.0.1 that keeps what it is
// posted and answers status.
type hookReceiver struct {
	URL    string
	status atomic.Int32

	mu    sync.Mutex
	posts []hookPost
}

type hookPost struct {
	Header http.Header
	Body   map[string]any
}

func startHook(t *testing.T) *hookReceiver {
	t.Helper()
	h := &hookReceiver{}
	h.status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&body) != nil {
			http.Error(w, "want a JSON POST", http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.posts = append(h.posts, hookPost{Header: r.Header.Clone(), Body: body})
		h.mu.Unlock()
		w.WriteHeader(int(h.status.Load()))
	}))
	t.Cleanup(srv.Close)
	h.URL = srv.URL + "/services/T000/B000/secret-token"
	return h
}

func (h *hookReceiver) received() []hookPost {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookPost(nil), h.posts...)
}

// clock is a settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
