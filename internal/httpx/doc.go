// Package httpx is the HTTP kit the API and the web UI share: problem
// documents (RFC 9457) and JSON answers, strict decoding of bodies and of
// route parameters, request ids, the per-actor rate limit, and bearer
// token → actor authentication with role checks.
package httpx
