// Package apiv1 is flowlab's HTTP API, version 1, as Go values: the request
// and response bodies, the query and path parameters, the problem document
// every refusal is, the role and status values, and a typed client (Client)
// that the CLI, the end-to-end tests and the benchmarks use.
//
// The server encodes and decodes exactly these types, and its OpenAPI
// document (GET /api/v1/openapi.json) is reflected from them, so a field
// renamed here changes the server, the document and every Go caller at
// once: a caller that still uses the old name no longer builds.
//
// The package imports nothing of flowlab's but what its types are made of
// (flow definitions' form fields and diffs, the pilot statistics); the
// import-rule test (internal/layering) holds it to that.
package apiv1
