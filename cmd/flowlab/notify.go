package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/flowlab/flowlab/notify"
	"github.com/flowlab/flowlab/store"
)

// notifyInterval is how often the server looks for notifications to
// deliver.
const notifyInterval = 5 * time.Second

// notifyDispatcher reads the settings of notification delivery (decision
// 0037) and returns the dispatcher the server runs:
//
//   - FLOWLAB_SMTP_URL (optional): the SMTP server of email,
//     smtp://user:pass@host:587?from=flowlab@example.com&tls=mandatory
//     (tls=opportunistic|none; smtps://… for TLS from the start). Unset:
//     no email is sent, people's email channel is skipped.
//   - FLOWLAB_PUBLIC_URL (optional): the URL people reach the web UI at,
//     the base of the links in notifications. Unset: http:// and
//     listenAddr (the address the server listens on, when the caller
//     knows it), else FLOWLAB_ADDR, else http://localhost:8080.
//
// Chat webhooks follow FLOWLAB_WEBHOOK_ALLOW, as flows' webhooks do.
func notifyDispatcher(st store.Store, logger *slog.Logger, listenAddr string) (*notify.Dispatcher, error) {
	base, err := publicURL(listenAddr)
	if err != nil {
		return nil, usageError{err}
	}
	d := &notify.Dispatcher{Store: st, BaseURL: base, Logger: logger}
	raw := strings.TrimSpace(envOr("FLOWLAB_SMTP_URL", ""))
	if raw == "" {
		logger.Info("notifications: no email (FLOWLAB_SMTP_URL is not set); chat webhooks and the app only", "links", base)
		return d, nil
	}
	cfg, err := notify.ParseSMTPURL(raw)
	if err != nil {
		return nil, usageError{fmt.Errorf("FLOWLAB_SMTP_URL: %w", err)}
	}
	m, err := notify.NewSMTPMailer(cfg)
	if err != nil {
		return nil, usageError{fmt.Errorf("FLOWLAB_SMTP_URL: %w", err)}
	}
	d.Mailer = m
	logger.Info("notifications: email through an SMTP server", "smtp", cfg, "links", base)
	return d, nil
}

// publicURL is FLOWLAB_PUBLIC_URL checked, or the default of the
// listening address.
func publicURL(listenAddr string) (string, error) {
	raw := strings.TrimSpace(envOr("FLOWLAB_PUBLIC_URL", ""))
	if raw == "" {
		addr := listenAddr
		if addr == "" {
			addr = envOr("FLOWLAB_ADDR", "localhost:8080")
		}
		return "http://" + browsable(addr), nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("FLOWLAB_PUBLIC_URL=%q: want the http:// or https:// URL people open the web UI at, like https://flowlab.example.com", raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// browsable is a listening address as a browser reaches it: a wildcard
// or missing host is localhost.
func browsable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
