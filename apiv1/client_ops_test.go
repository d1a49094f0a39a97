package apiv1_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/flowlab/flowlab/api"
	"github.com/stretchr/testify/require"
)

// docOperation is what the OpenAPI document says of one operation.
type docOperation struct {
	Method, Path string
	OperationID  string `json:"operationId"`
	Parameters   []struct {
		Name string `json:"name"`
		In   string `json:"in"`
	} `json:"parameters"`
	RequestBody *struct {
		Content map[string]json.RawMessage `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Content map[string]json.RawMessage `json:"content"`
	} `json:"responses"`
}

func documentOperations(t *testing.T) []docOperation {
	t.Helper()
	raw, err := api.OpenAPI()
	require.NoError(t, err)
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	var ops []docOperation
	for path, item := range doc.Paths {
		for method, rawOp := range item {
			var op docOperation
			if err := json.Unmarshal(rawOp, &op); err != nil || op.OperationID == "" {
				continue // path-level parameters, not an operation
			}
			op.Method, op.Path = strings.ToUpper(method), path
			ops = append(ops, op)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].OperationID < ops[j].OperationID })
	return ops
}

// filled is a value of t with every field set: a path parameter to
// "p-<name>", a header to "h-<name>", a query string to "q", numbers to 2,
// times to a fixed instant, lists to one element.
func filled(t reflect.Type) reflect.Value {
	v := reflect.New(t).Elem()
	if t.Kind() != reflect.Struct || t == reflect.TypeFor[time.Time]() {
		return v
	}
	for i := 0; i < t.NumField(); i++ {
		f, fv := t.Field(i), v.Field(i)
		if !f.IsExported() {
			continue
		}
		switch {
		case f.Tag.Get("path") != "":
			fv.SetString("p-" + f.Tag.Get("path"))
		case f.Tag.Get("header") != "":
			fv.SetString("h-" + f.Tag.Get("header"))
		case f.Tag.Get("query") != "":
			switch fv.Kind() {
			case reflect.String:
				fv.SetString("q")
			case reflect.Bool:
				fv.SetBool(true)
			case reflect.Int:
				fv.SetInt(2)
			case reflect.Slice:
				fv.Set(reflect.ValueOf([]string{"k:v"}))
			case reflect.Struct:
				fv.Set(reflect.ValueOf(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)))
			}
		}
	}
	return v
}

// Every Client method sends the request of its operation as the server's
// document describes it: the method, the path with its parameters, the
// query and header parameters by their names, a body when the operation
// takes one (of a media type it accepts) and an Accept it answers.
func TestEveryMethodSendsItsOperation(t *testing.T) {
	rec, c := serve(t, answerJSON(http.StatusOK, `{}`))
	ct := reflect.ValueOf(c)
	// Other representations of an operation have a method of their own.
	extra := map[string][]string{
		"getFlowVersion":   {"GetFlowVersionYAML"},
		"diffFlowVersions": {"DiffFlowVersionsText"},
	}
	ops := documentOperations(t)
	require.Greater(t, len(ops), 50)
	for _, op := range ops {
		name := string(unicode.ToUpper(rune(op.OperationID[0]))) + op.OperationID[1:]
		for _, methodName := range append([]string{name}, extra[op.OperationID]...) {
			t.Run(methodName, func(t *testing.T) {
				m := ct.MethodByName(methodName)
				require.True(t, m.IsValid(), "no method %s for %s %s", methodName, op.Method, op.Path)
				mt := m.Type()
				args := []reflect.Value{reflect.ValueOf(context.Background())}
				for i := 1; i < mt.NumIn(); i++ {
					if mt.IsVariadic() && i == mt.NumIn()-1 {
						break
					}
					switch in := mt.In(i); {
					case in == reflect.TypeFor[[]byte]():
						args = append(args, reflect.ValueOf([]byte("key: complaint\n")))
					case in == reflect.TypeFor[io.Reader]():
						args = append(args, reflect.ValueOf(strings.NewReader("Case ID,Activity,Complete Timestamp\n1,a,2026-03-02T08:00:00Z\n")))
					default:
						args = append(args, filled(in))
					}
				}
				before := len(rec.requests())
				out := m.Call(args)
				if err, _ := out[len(out)-1].Interface().(error); err != nil {
					require.NoError(t, err)
				}
				if rc, ok := out[0].Interface().(io.ReadCloser); ok {
					require.NoError(t, rc.Close())
				}
				reqs := rec.requests()
				require.Len(t, reqs, before+1, "one request")
				req := reqs[before]

				require.Equal(t, op.Method, req.Method)
				u, err := url.ParseRequestURI(req.URI)
				require.NoError(t, err)
				wantPath := op.Path
				wantQuery, wantHeader := map[string]bool{}, map[string]bool{}
				for _, p := range op.Parameters {
					switch p.In {
					case "path":
						wantPath = strings.ReplaceAll(wantPath, "{"+p.Name+"}", "p-"+p.Name)
					case "query":
						wantQuery[p.Name] = true
					case "header":
						wantHeader[p.Name] = true
					}
				}
				require.Equal(t, wantPath, u.Path)
				gotQuery := map[string]bool{}
				for k := range u.Query() {
					gotQuery[k] = true
				}
				require.Equal(t, wantQuery, gotQuery, "query parameters")
				for h := range wantHeader {
					require.Equal(t, "h-"+h, req.Header.Get(h), "header %s", h)
				}

				if op.RequestBody == nil {
					require.Empty(t, req.Body, "no body")
				} else {
					require.NotEmpty(t, req.Body, "a body")
					require.Contains(t, op.RequestBody.Content, req.Header.Get("Content-Type"))
				}
				accept, _, _ := strings.Cut(req.Header.Get("Accept"), ",")
				var answered []string
				for status, r := range op.Responses {
					if strings.HasPrefix(status, "2") {
						for mt := range r.Content {
							answered = append(answered, mt)
						}
					}
				}
				require.Contains(t, answered, accept, "the Accept is one of the operation's answers")
			})
		}
	}
}
