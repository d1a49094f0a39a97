// Package contract holds the end-to-end tests to the served OpenAPI
// document: it fetches the document of a running flowlab once, checks it
// is a valid OpenAPI 3.1 document, and checks answers against it, both
// the raw requests of a test and, through Transport, every answer an
// apiv1.Client receives. A status an operation does not document (a 200
// where it answers 201) or a body that breaks its schema is an error.
package contract

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/server/apitest"
)

// Checker checks answers of the server at one base URL against the
// OpenAPI document it serves. It is safe for concurrent use.
type Checker struct {
	baseURL string

	once sync.Once
	v    *apitest.Validator
	err  error
}

// New returns the Checker of the server at baseURL; the document is
// fetched on first use.
func New(baseURL string) *Checker { return &Checker{baseURL: baseURL} }

// Validator fetches the served OpenAPI document (without auth), checks it
// is a valid OpenAPI 3.1 document and returns its response validator.
func (c *Checker) Validator() (*apitest.Validator, error) {
	c.once.Do(func() {
		resp, err := http.Get(c.baseURL + apiv1.OpenAPIPath)
		if err != nil {
			c.err = fmt.Errorf("fetch %s: %w", apiv1.OpenAPIPath, err)
			return
		}
		defer resp.Body.Close()
		doc, err := io.ReadAll(resp.Body)
		if err != nil {
			c.err = fmt.Errorf("read %s: %w", apiv1.OpenAPIPath, err)
			return
		}
		if resp.StatusCode != http.StatusOK {
			c.err = fmt.Errorf("GET %s without auth: %d %s", apiv1.OpenAPIPath, resp.StatusCode, doc)
			return
		}
		if err := apitest.CheckDocument(doc); err != nil {
			c.err = fmt.Errorf("check %s: %w", apiv1.OpenAPIPath, err)
			return
		}
		c.v, c.err = apitest.New(doc)
	})
	return c.v, c.err
}

// Check checks one answer to req against the document.
func (c *Checker) Check(req *http.Request, status int, header http.Header, body []byte) error {
	v, err := c.Validator()
	if err != nil {
		return fmt.Errorf("OpenAPI document: %w", err)
	}
	return v.CheckResponse(req, status, header, body)
}

// Transport is an http.RoundTripper that checks every answer with c and
// hands it on unchanged; report gets each violation (a test's Errorf: it
// may run in goroutines). A nil base is http.DefaultTransport.
func (c *Checker) Transport(base http.RoundTripper, report func(error)) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return checked{c: c, base: base, report: report}
}

// Client is an apiv1.Client of c's server with token whose answers are
// all checked (see Transport), with apiv1.DefaultTimeout per request.
func (c *Checker) Client(token string, report func(error)) *apiv1.Client {
	return &apiv1.Client{BaseURL: c.baseURL, Token: token,
		HTTP: &http.Client{Timeout: apiv1.DefaultTimeout, Transport: c.Transport(nil, report)}}
}

type checked struct {
	c      *Checker
	base   http.RoundTripper
	report func(error)
}

func (t checked) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read the answer of %s %s: %w", req.Method, req.URL.Path, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	if err := t.c.Check(req, resp.StatusCode, resp.Header, data); err != nil {
		t.report(err)
	}
	return resp, nil
}
