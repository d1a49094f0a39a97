package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/flowlab/flowlab/apiv1"
)

// API calls flowlab's HTTP API.
type API struct {
	Base string
	HTTP *http.Client

	limited atomic.Int64
}

// RateLimited counts the 429 answers Do waited out.
func (a *API) RateLimited() int64 { return a.limited.Load() }

// NewAPI returns a client of base with a per-request timeout longer than
// the server's engine timeout (30 s), so a slow completion is answered by
// the server rather than cut by the client.
func NewAPI(base string) *API {
	return &API{Base: base, HTTP: &http.Client{Timeout: 45 * time.Second}}
}

// Response is an answer of the API.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// RetryAfter is the Retry-After header in seconds (0 when absent).
func (r Response) RetryAfter() int {
	n, _ := strconv.Atoi(r.Header.Get("Retry-After"))
	return n
}

func (r Response) String() string {
	b := r.Body
	if len(b) > 400 {
		b = b[:400]
	}
	return fmt.Sprintf("%d %s", r.Status, bytes.TrimSpace(b))
}

// Do sends a request with a bearer token; headers are name, value pairs.
// A transport error (connection refused, timeout) is returned as an error.
// A 429 (the API's per-actor rate limit) is waited out as its Retry-After
// says and the request sent again, as a well-behaved client does.
func (a *API) Do(ctx context.Context, token, method, path string, body any, headers ...string) (Response, error) {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return Response{}, err
		}
	}
	for {
		resp, err := a.do(ctx, token, method, path, b, headers)
		if err != nil || resp.Status != http.StatusTooManyRequests {
			return resp, err
		}
		a.limited.Add(1)
		wait := time.Duration(max(resp.RetryAfter(), 1)) * time.Second
		select {
		case <-ctx.Done():
			return resp, nil
		case <-time.After(wait):
		}
	}
}

func (a *API) do(ctx context.Context, token, method, path string, body []byte, headers []string) (Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.Base+path, rd)
	if err != nil {
		return Response{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := a.HTTP.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// Token creates a staff token for one department.
func (a *API) Token(ctx context.Context, admin, name, department string) (string, error) {
	resp, err := a.Do(ctx, admin, http.MethodPost, "/api/v1/tokens",
		apiv1.CreateTokenRequest{Name: name, Role: apiv1.RoleStaff, Departments: []string{department}})
	if err != nil {
		return "", fmt.Errorf("create token: %w", err)
	}
	if resp.Status != http.StatusCreated {
		return "", fmt.Errorf("create token: %s", resp)
	}
	var out apiv1.TokenResponse
	if err := json.Unmarshal(resp.Body, &out); err != nil || out.Token == "" {
		return "", fmt.Errorf("create token: %s", resp)
	}
	return out.Token, nil
}
