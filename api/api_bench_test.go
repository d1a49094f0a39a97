package api

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkAPIInbox serves one inbox page of 50 open tasks (GET
// /api/v1/tasks?department=…&status=open&limit=50) through the whole
// handler chain (authentication, rate limit, store on SQLite, JSON), the
// request the api scenario of go run ./bench drives at 200–1,000/s:
//
//	go test ./api -run '^$' -bench APIInbox -cpuprofile cpu.out
func BenchmarkAPIInbox(b *testing.B) {
	e := newEnv(b)
	e.Actor("ana", "staff", "customer_service")
	for range 60 {
		e.StartCase()
	}
	const path = "/api/v1/tasks?department=customer_service&status=open&limit=50"
	_, rec := e.Send("ana", http.MethodGet, path, nil, nil)
	require.Equal(b, http.StatusOK, rec.Code, rec.Body.String())
	require.Contains(b, rec.Body.String(), "next_cursor")
	b.ReportAllocs()
	for b.Loop() {
		_, rec := e.Send("ana", http.MethodGet, path, nil, nil)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code, rec.Body.String())
		}
	}
}
