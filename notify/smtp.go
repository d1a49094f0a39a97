package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Email is one message to one person.
type Email struct {
	To     string // address
	ToName string // their name ("" none)
	// MessageID identifies the message (without angle brackets); the
	// same notification gets the same one on every attempt, so a mail
	// client can tell a repeat.
	MessageID string
	Subject   string
	Text      string
	HTML      string // "" for a plain-text message
}

// Mailer sends email. SMTPMailer is the real one; tests may give another.
type Mailer interface {
	Send(ctx context.Context, e Email) error
}

// TLS modes of an SMTP connection.
const (
	// TLSMandatory: STARTTLS, and no message without it (the default
	// of smtp://).
	TLSMandatory = "mandatory"
	// TLSOpportunistic: STARTTLS when the server offers it.
	TLSOpportunistic = "opportunistic"
	// TLSNone: plain text (a relay on the same host or network).
	TLSNone = "none"
	// TLSImplicit: TLS from the first byte (smtps://, port 465).
	TLSImplicit = "implicit"
)

// SMTPTimeout bounds one send: the connection, the TLS handshake, the
// authentication and the message.
const SMTPTimeout = 15 * time.Second

// SMTPConfig says how to reach an SMTP server. Its String never shows the
// password.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string
	Password string
	// From is the sender, an address with or without a name
	// ("flowlab <flowlab@example.com>").
	From string
	// TLS is TLSMandatory, TLSOpportunistic, TLSNone or TLSImplicit.
	TLS string
	// Timeout bounds one send (0: SMTPTimeout).
	Timeout time.Duration
	// TLSConfig, when set, is used for the TLS connection (its
	// ServerName defaults to Host): a private CA, or a test's.
	TLSConfig *tls.Config
}

// String describes the configuration without its password.
func (c SMTPConfig) String() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(c.Host, strconv.Itoa(c.Port))}
	if c.TLS == TLSImplicit {
		u.Scheme = "smtps"
	}
	if c.Username != "" {
		u.User = url.User(c.Username)
	}
	q := url.Values{"from": {c.From}}
	if c.TLS != TLSImplicit {
		q.Set("tls", c.TLS)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// LogValue logs the configuration as String does, without its password.
func (c SMTPConfig) LogValue() slog.Value { return slog.StringValue(c.String()) }

// ParseSMTPURL reads an SMTP server's URL:
//
//	smtp://user:pass@host:587?from=flowlab@example.com&tls=mandatory
//	smtps://user:pass@host:465?from=flowlab@example.com
//
// smtp:// uses STARTTLS (tls=mandatory, the default; opportunistic: when
// offered; none: never, e.g. a relay on localhost), port 587 by default;
// smtps:// is TLS from the start, port 465 by default. User and password
// are optional but go together, percent-encoded where they hold
// characters such as @ : / ? #; a password is refused with tls=none. from
// (the sender's address, optionally with a name) is required. Errors
// never show the password.
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	var c SMTPConfig
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse quotes the whole URL, password included: say what
		// is wrong without it.
		return c, errors.New("not a valid URL; write smtp://user:pass@host:587?from=flowlab@example.com " +
			"(percent-encode characters such as @ : / ? # in the user name and password)")
	}
	switch u.Scheme {
	case "smtp":
		c.Port, c.TLS = 587, TLSMandatory
	case "smtps":
		c.Port, c.TLS = 465, TLSImplicit
	case "":
		return c, errors.New("no scheme; write smtp://… (STARTTLS) or smtps://… (TLS from the start)")
	default:
		return c, fmt.Errorf("scheme %q: want smtp:// (STARTTLS) or smtps:// (TLS from the start)", u.Scheme)
	}
	if u.Opaque != "" {
		return c, errors.New("no host: write smtp://host:587?from=…")
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return c, errors.New("no host: write smtp://host:587?from=…")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return c, fmt.Errorf("port %q: want a number from 1 to 65535", p)
		}
		c.Port = n
	}
	if u.Path != "" && u.Path != "/" {
		return c, fmt.Errorf("a path (%q) means nothing here: write smtp://host:port?from=…", u.Path)
	}
	if u.Fragment != "" {
		return c, errors.New("a fragment (#…) means nothing here; percent-encode # in a password as %23")
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
		if c.Username == "" || c.Password == "" {
			return c, errors.New("a user name and a password go together: write smtp://user:pass@host")
		}
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return c, errors.New("the query is not valid: write ?from=flowlab@example.com&tls=mandatory")
	}
	for k, v := range q {
		if !slices.Contains([]string{"from", "tls"}, k) {
			return c, fmt.Errorf("unknown parameter %q: the parameters are from and tls", k)
		}
		if len(v) > 1 {
			return c, fmt.Errorf("parameter %q is given %d times", k, len(v))
		}
	}
	c.From = strings.TrimSpace(q.Get("from"))
	if c.From == "" {
		return c, errors.New("no sender: add ?from=flowlab@example.com")
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return c, fmt.Errorf("from=%q is not an email address: %w", c.From, err)
	}
	if t := q.Get("tls"); t != "" {
		switch {
		case c.TLS == TLSImplicit && t != TLSMandatory && t != TLSImplicit:
			return c, fmt.Errorf("tls=%s: smtps:// is TLS from the start; for STARTTLS or none write smtp://", t)
		case c.TLS == TLSImplicit:
		case t == TLSMandatory, t == TLSOpportunistic, t == TLSNone:
			c.TLS = t
		default:
			return c, fmt.Errorf("tls=%q: want mandatory, opportunistic or none", t)
		}
	}
	if c.TLS == TLSNone && c.Password != "" {
		return c, errors.New("tls=none would send the password in the clear: use tls=mandatory or smtps://")
	}
	return c, nil
}

// SMTPMailer sends email through an SMTP server, one connection per
// message, each bounded by the configuration's timeout.
type SMTPMailer struct {
	cfg  SMTPConfig
	from *mail.Address
}

// NewSMTPMailer checks c and returns a mailer that sends through it.
func NewSMTPMailer(c SMTPConfig) (*SMTPMailer, error) {
	if c.Host == "" || c.Port < 1 || c.Port > 65535 {
		return nil, fmt.Errorf("smtp: host %q port %d: want a host and a port from 1 to 65535", c.Host, c.Port)
	}
	from, err := mail.ParseAddress(c.From)
	if err != nil {
		return nil, fmt.Errorf("smtp: sender %q: %w", c.From, err)
	}
	if !slices.Contains([]string{TLSMandatory, TLSOpportunistic, TLSNone, TLSImplicit}, c.TLS) {
		return nil, fmt.Errorf("smtp: TLS mode %q: want mandatory, opportunistic, none or implicit", c.TLS)
	}
	if c.Timeout <= 0 {
		c.Timeout = SMTPTimeout
	}
	return &SMTPMailer{cfg: c, from: from}, nil
}

// Config is the mailer's configuration (print it: its String hides the
// password).
func (m *SMTPMailer) Config() SMTPConfig { return m.cfg }

// Send sends e within the configured timeout (and ctx).
func (m *SMTPMailer) Send(ctx context.Context, e Email) error {
	msg := gomail.NewMsg()
	if err := msg.FromFormat(m.from.Name, m.from.Address); err != nil {
		return fmt.Errorf("email from %s: %w", m.from.Address, err)
	}
	if err := msg.AddToFormat(oneLine(e.ToName), e.To); err != nil {
		return fmt.Errorf("email to %s: %w", e.To, err)
	}
	msg.Subject(oneLine(e.Subject))
	if e.MessageID != "" {
		msg.SetMessageIDWithValue(e.MessageID + "@" + domainOf(m.from.Address))
	}
	msg.SetDate()
	msg.SetBulk() // no out-of-office replies to a notification
	msg.SetBodyString(gomail.TypeTextPlain, e.Text)
	if e.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, e.HTML)
	}

	c, err := gomail.NewClient(m.cfg.Host, m.options()...)
	if err != nil {
		return fmt.Errorf("email: smtp client for %s: %w", m.cfg.Host, err)
	}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("email to %s through %s:%d: %w", e.To, m.cfg.Host, m.cfg.Port, err)
	}
	return nil
}

func (m *SMTPMailer) options() []gomail.Option {
	tc := &tls.Config{ServerName: m.cfg.Host, MinVersion: tls.VersionTLS12}
	if m.cfg.TLSConfig != nil {
		tc = m.cfg.TLSConfig.Clone()
		if tc.ServerName == "" {
			tc.ServerName = m.cfg.Host
		}
	}
	opts := []gomail.Option{
		gomail.WithPort(m.cfg.Port),
		gomail.WithTimeout(m.cfg.Timeout),
		gomail.WithTLSConfig(tc),
	}
	switch m.cfg.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if m.cfg.Username != "" {
		// The strongest mechanism the server offers; PLAIN and LOGIN
		// only over TLS.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(m.cfg.Username), gomail.WithPassword(m.cfg.Password))
	}
	return opts
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 && i < len(addr)-1 {
		return addr[i+1:]
	}
	return "flowlab.invalid"
}
