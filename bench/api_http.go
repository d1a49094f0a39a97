package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/flowlab/flowlab/apiv1"
)

// loadClient is the HTTP client of the latency scenarios (api, handoff):
// enough idle connections per host that a fixed-rate run on loopback
// reuses its connections instead of opening one per request (the
// default keeps two), and a timeout that bounds every request.
func loadClient() *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		// A redirect (to the sign-in page, say) is an answer to count as
		// an error, not to follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{
			MaxIdleConns:        2048,
			MaxIdleConnsPerHost: 2048,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
	}
}

// call sends one request and returns the body of a 200 (201 for a POST
// that creates); any other status is an error naming it. headers are
// name, value pairs; body, when not nil, is sent as JSON.
func call(ctx context.Context, hc *http.Client, method, url string, body any, headers ...string) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read body: %w", method, req.URL.Path, err)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		if len(data) > 200 {
			data = data[:200]
		}
		return data, fmt.Errorf("%s %s: %d %s", method, req.URL.Path, resp.StatusCode, bytes.TrimSpace(data))
	}
	return data, nil
}

// benchClient is a typed API client of base over hc as token. It does not
// wait out a 429 (the scenarios turn the rate limit off): a refusal is an
// error of the timed request, as call makes it.
func benchClient(hc *http.Client, base, token string) *apiv1.Client {
	return &apiv1.Client{BaseURL: base, Token: token, HTTP: hc, RateWait: -1}
}

// bearer is the Authorization header pair of token.
func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

// uiSession signs in to the web UI with an API token, as a browser does
// (POST /ui/signin), and returns the session cookie's value: the server
// seals the token in it (decision 0023), so a token is not a cookie.
func uiSession(ctx context.Context, hc *http.Client, base, token string) (string, error) {
	form := url.Values{"token": {token}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/ui/signin", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("ui sign-in: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	for _, c := range resp.Cookies() {
		if c.Name == "flowlab_session" && c.Value != "" {
			return c.Value, nil
		}
	}
	return "", fmt.Errorf("ui sign-in: %d without a session cookie", resp.StatusCode)
}
