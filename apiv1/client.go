package apiv1

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// DefaultRateWait is how long one request of a Client waits out the
// server's rate limit (429 with Retry-After) in all, when Client.RateWait
// is zero, before the 429 is returned.
const DefaultRateWait = time.Minute

// DefaultTimeout bounds one request of a Client made by NewClient (the
// streaming methods have no overall timeout; their context bounds them).
const DefaultTimeout = 60 * time.Second

// maxAnswer bounds the size of an answer a Client reads into memory.
const maxAnswer = 64 << 20

// Media types the client sends and asks for.
const (
	mediaJSON    = "application/json"
	mediaProblem = "application/problem+json"
	mediaYAML    = "application/yaml"
	mediaText    = "text/plain"
	mediaCSV     = "text/csv"
	mediaXML     = "application/xml"
	mediaNDJSON  = "application/x-ndjson"
	mediaSVG     = "image/svg+xml"
	mediaSchema  = "application/schema+json"
)

// Client calls flowlab's HTTP API, one method per operation, named after
// its operationId in the OpenAPI document (createCase: CreateCase). Each
// method takes the operation's parameters struct, whose path, query and
// header tags say where each value goes (zero values are left out), and
// its JSON body, and returns its decoded answer.
//
// An answer with a status outside 2xx is returned as a *Problem (a refusal
// or failure, or a redirect the HTTP client did not follow); a request
// that got no answer at all as a *TransportError. A 429 is waited out (see
// RateWait). A Client needs BaseURL; the other fields have defaults.
type Client struct {
	// BaseURL is the server's address, like http://127.0.0.1:8080 (a
	// trailing slash is ignored); the operations' paths are appended.
	BaseURL string
	// Token is the bearer token sent with every request; empty: none, for
	// the public operations (health, readiness, metrics, the OpenAPI
	// document).
	Token string
	// HTTP sends the requests; nil: a client with DefaultTimeout.
	HTTP *http.Client
	// RateWait bounds how long one request waits out 429 answers in all:
	// the server refuses such a request before acting on it, so sending it
	// again after Retry-After is safe for every method. Zero:
	// DefaultRateWait; negative: a 429 is returned at once.
	RateWait time.Duration
	// UserAgent, when set, is sent as the User-Agent header.
	UserAgent string
}

// NewClient returns a Client of the server at baseURL that authenticates
// with token (empty: anonymous) and times requests out after
// DefaultTimeout.
func NewClient(baseURL, token string) *Client {
	return &Client{BaseURL: baseURL, Token: token, HTTP: &http.Client{Timeout: DefaultTimeout}}
}

// TransportError is a request that got no answer: the server could not be
// reached, or the connection failed before a status arrived. Err is the
// cause (a *url.Error naming the request's URL).
type TransportError struct {
	BaseURL string
	Err     error
}

// Error says which server could not be reached and why.
func (e *TransportError) Error() string { return "cannot reach " + e.BaseURL + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *TransportError) Unwrap() error { return e.Err }

// IsProblem reports whether err is (or wraps) a *Problem of one of the
// given statuses (any status when none are given).
func IsProblem(err error, statuses ...int) bool {
	var p *Problem
	if !errors.As(err, &p) {
		return false
	}
	if len(statuses) == 0 {
		return true
	}
	for _, s := range statuses {
		if p.Status == s {
			return true
		}
	}
	return false
}

// CallOption changes one call of a Client method.
type CallOption func(*callOptions)

type callOptions struct {
	status *int
	header http.Header
}

// WithHeader sends the header key with value on this call, besides (or
// instead of) the parameters' header fields.
func WithHeader(key, value string) CallOption {
	return func(o *callOptions) {
		if o.header == nil {
			o.header = http.Header{}
		}
		o.header.Set(key, value)
	}
}

// WithStatus stores the success status of the answer in *status: how the
// operations that answer two (publishFlowVersion and putCaseFeedback: 201
// created, 200 the same or replaced; stopPilot: 200 stopped, 202 stopping)
// tell which.
func WithStatus(status *int) CallOption {
	return func(o *callOptions) { o.status = status }
}

// request is one call of an operation.
type request struct {
	method  string
	pattern string // the route's pattern: /api/v1/cases/{id}
	params  any    // the parameters struct (or nil)
	body    io.Reader
	ctype   string // the body's media type
	accept  string // the representation asked for
	stream  bool   // no overall timeout: the caller reads the body
	// upload sends body as it is read, never held whole (an event log);
	// a 429 is waited out and the body sent again only when it is an
	// io.Seeker (a file). No overall timeout applies.
	upload bool
}

// answer is a successful answer.
type answer struct {
	status int
	header http.Header
	body   io.ReadCloser
}

func (c *Client) base() string { return strings.TrimRight(c.BaseURL, "/") }

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: DefaultTimeout}
}

// send performs r, waiting out 429 answers within RateWait, and returns a
// successful answer, whose body the caller closes.
func (c *Client) send(ctx context.Context, r request, opts ...CallOption) (*answer, error) {
	path, query, header, err := encodeParams(r.pattern, r.params)
	if err != nil {
		return nil, err
	}
	var o callOptions
	for _, opt := range opts {
		opt(&o)
	}
	for k, v := range o.header {
		header[k] = v
	}
	u := c.base() + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	// The body is read once, so that a 429 can be answered by sending it
	// again.
	var body []byte
	if r.body != nil && !r.upload {
		if body, err = io.ReadAll(r.body); err != nil {
			return nil, fmt.Errorf("apiv1: read the request body of %s %s: %w", r.method, path, err)
		}
	}
	budget := c.RateWait
	if budget == 0 {
		budget = DefaultRateWait
	}
	for {
		a, err := c.sendOnce(ctx, r, u, header, body)
		var p *Problem
		if !errors.As(err, &p) || p.Status != http.StatusTooManyRequests {
			if err == nil && o.status != nil {
				*o.status = a.status
			}
			return a, err
		}
		wait := time.Duration(p.RetryAfter) * time.Second
		if wait <= 0 {
			wait = time.Second
		}
		if wait > budget {
			return nil, err
		}
		if r.upload {
			sk, ok := r.body.(io.Seeker)
			if !ok {
				return nil, err
			}
			if _, serr := sk.Seek(0, io.SeekStart); serr != nil {
				return nil, err
			}
		}
		budget -= wait
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
	}
}

// sendOnce is one attempt of send.
func (c *Client) sendOnce(ctx context.Context, r request, u string, header http.Header, body []byte) (*answer, error) {
	var rd io.Reader
	switch {
	case r.upload:
		// Not the body itself: the transport may close a Closer, and the
		// caller owns it.
		rd = struct{ io.Reader }{r.body}
	case r.body != nil:
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("apiv1: bad server URL %q: %w", c.BaseURL, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	req.Header.Set("Accept", r.accept+", "+mediaProblem)
	if r.body != nil {
		req.Header.Set("Content-Type", r.ctype)
	}
	hc := c.httpClient()
	if (r.stream || r.upload) && hc.Timeout != 0 {
		cp := *hc
		cp.Timeout = 0
		hc = &cp
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, &TransportError{BaseURL: c.base(), Err: err}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// A refusal, or a redirect the HTTP client did not follow (to a
		// sign-in page, say): not the operation's answer either way.
		defer resp.Body.Close()
		data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		p := ProblemOf(resp.StatusCode, resp.Header, data)
		if err != nil && p.Detail == "" {
			p.Detail = "reading the answer: " + err.Error()
		}
		return nil, p
	}
	return &answer{status: resp.StatusCode, header: resp.Header, body: resp.Body}, nil
}

// ProblemOf is the *Problem of a failed answer: its problem document, or,
// when the body is not one (a proxy's HTML page, an empty body), a problem
// of the status whose title is the status text and whose detail is the
// start of the body. RetryAfter comes from the header (seconds).
func ProblemOf(status int, header http.Header, body []byte) *Problem {
	var p Problem
	if err := json.Unmarshal(body, &p); err != nil {
		p = Problem{}
		if text := strings.TrimSpace(string(body)); text != "" && !strings.HasPrefix(text, "<") {
			if len(text) > 200 {
				text = text[:200] + "…"
			}
			p.Detail = text
		}
	}
	p.Status = status
	if p.Title == "" {
		p.Title = http.StatusText(status)
		if p.Title == "" {
			p.Title = "HTTP " + strconv.Itoa(status)
		}
	}
	if header != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(header.Get("Retry-After"))); err == nil && n > 0 {
			p.RetryAfter = n
		}
	}
	return &p
}

// readAll reads a successful answer's body whole.
func readAll(a *answer) ([]byte, error) {
	defer a.body.Close()
	data, err := io.ReadAll(io.LimitReader(a.body, maxAnswer))
	if err != nil {
		return nil, &Problem{Status: a.status, Title: http.StatusText(a.status), Detail: "reading the answer: " + err.Error()}
	}
	return data, nil
}

// badAnswer is the problem of a successful answer the client cannot read
// as the operation's type: the server (or something on the way) answered
// wrongly, so it counts as a 502 Bad Gateway.
func badAnswer(err error) *Problem {
	return &Problem{Status: http.StatusBadGateway, Title: "Bad answer", Detail: "the server's answer is not JSON: " + err.Error()}
}

// jsonBody encodes a request body as JSON.
func jsonBody(v any) (io.Reader, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("apiv1: encode request: %w", err)
	}
	return bytes.NewReader(b), nil
}

// call performs a JSON operation: body (when not nil) is sent as JSON and
// the answer decoded into a T. An empty answer leaves the T zero.
func call[T any](ctx context.Context, c *Client, method, pattern string, params, body any, opts ...CallOption) (*T, error) {
	r := request{method: method, pattern: pattern, params: params, accept: mediaJSON}
	if body != nil {
		rd, err := jsonBody(body)
		if err != nil {
			return nil, err
		}
		r.body, r.ctype = rd, mediaJSON
	}
	data, err := c.raw(ctx, r, opts...)
	if err != nil {
		return nil, err
	}
	return decode[T](data)
}

// decode decodes a JSON answer into a T; an empty answer leaves it zero.
func decode[T any](data []byte) (*T, error) {
	out := new(T)
	if len(bytes.TrimSpace(data)) == 0 {
		return out, nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return nil, badAnswer(err)
	}
	return out, nil
}

// raw performs an operation whose answer is read whole as bytes, asking
// for the accept representation.
func (c *Client) raw(ctx context.Context, r request, opts ...CallOption) ([]byte, error) {
	a, err := c.send(ctx, r, opts...)
	if err != nil {
		return nil, err
	}
	return readAll(a)
}

// encodeParams fills pattern's {name} segments from params' path-tagged
// fields and returns the query and header values of its query- and
// header-tagged fields; zero values are left out. params is a struct, a
// pointer to one, or nil.
func encodeParams(pattern string, params any) (string, url.Values, http.Header, error) {
	query, header := url.Values{}, http.Header{}
	path := pattern
	if params != nil {
		v := reflect.ValueOf(params)
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v = reflect.Value{}
				break
			}
			v = v.Elem()
		}
		if v.IsValid() {
			if v.Kind() != reflect.Struct {
				return "", nil, nil, fmt.Errorf("apiv1: parameters of %s must be a struct, not %s", pattern, v.Type())
			}
			t := v.Type()
			for i := 0; i < t.NumField(); i++ {
				f := t.Field(i)
				if !f.IsExported() {
					continue
				}
				fv := v.Field(i)
				if name := f.Tag.Get("path"); name != "" {
					s, ok, err := paramStrings(fv)
					if err != nil {
						return "", nil, nil, fmt.Errorf("apiv1: path parameter %s of %s: %w", name, pattern, err)
					}
					if !ok || len(s) != 1 || s[0] == "" {
						return "", nil, nil, fmt.Errorf("apiv1: path parameter %s of %s is empty", name, pattern)
					}
					seg := "{" + name + "}"
					if !strings.Contains(path, seg) {
						return "", nil, nil, fmt.Errorf("apiv1: %s has no path parameter %s", pattern, name)
					}
					path = strings.Replace(path, seg, url.PathEscape(s[0]), 1)
				}
				if name := f.Tag.Get("query"); name != "" {
					s, ok, err := paramStrings(fv)
					if err != nil {
						return "", nil, nil, fmt.Errorf("apiv1: query parameter %s of %s: %w", name, pattern, err)
					}
					if ok {
						query[name] = s
					}
				}
				if name := f.Tag.Get("header"); name != "" {
					s, ok, err := paramStrings(fv)
					if err != nil {
						return "", nil, nil, fmt.Errorf("apiv1: header %s of %s: %w", name, pattern, err)
					}
					if ok {
						header[http.CanonicalHeaderKey(name)] = s
					}
				}
			}
		}
	}
	if i := strings.IndexByte(path, '{'); i >= 0 {
		return "", nil, nil, fmt.Errorf("apiv1: %s: path parameter %s has no value", pattern, path[i:])
	}
	return path, query, header, nil
}

var timeType = reflect.TypeFor[time.Time]()

// paramStrings is the text of one parameter value; ok is false for a zero
// value (left out).
func paramStrings(v reflect.Value) ([]string, bool, error) {
	if v.Type() == timeType {
		t := v.Interface().(time.Time)
		if t.IsZero() {
			return nil, false, nil
		}
		return []string{t.Format(time.RFC3339Nano)}, true, nil
	}
	switch v.Kind() {
	case reflect.String:
		if v.String() == "" {
			return nil, false, nil
		}
		return []string{v.String()}, true, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if v.Int() == 0 {
			return nil, false, nil
		}
		return []string{strconv.FormatInt(v.Int(), 10)}, true, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if v.Uint() == 0 {
			return nil, false, nil
		}
		return []string{strconv.FormatUint(v.Uint(), 10)}, true, nil
	case reflect.Float32, reflect.Float64:
		if v.Float() == 0 {
			return nil, false, nil
		}
		return []string{strconv.FormatFloat(v.Float(), 'f', -1, 64)}, true, nil
	case reflect.Bool:
		if !v.Bool() {
			return nil, false, nil
		}
		return []string{"true"}, true, nil
	case reflect.Pointer:
		if v.IsNil() {
			return nil, false, nil
		}
		return paramStrings(v.Elem())
	case reflect.Slice:
		var out []string
		for i := 0; i < v.Len(); i++ {
			s, ok, err := paramStrings(v.Index(i))
			if err != nil {
				return nil, false, err
			}
			if ok {
				out = append(out, s...)
			}
		}
		return out, len(out) > 0, nil
	}
	return nil, false, fmt.Errorf("unsupported type %s", v.Type())
}
