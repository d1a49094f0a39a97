package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/httpx"
)

// The search box of /ui/cases (decision 0026): whitespace-separated terms,
// each one of
//
//	customer:C-1042   the customer, exact (customer:"Jane Doe" with spaces)
//	id:6f1c9a52       a case id or its first 4 or more characters
//	severity:high     an attribute (KEY:VALUE, VALUE quoted when it has spaces)
//	C-1042            bare words: the customer; a whole case id: that case
//
// turned into the query parameters of GET /api/v1/cases, which checks them.

// searchBoxMax bounds the search box's text.
const searchBoxMax = 1000

// searchBoxHelp is the search box's hint.
const searchBoxHelp = `A customer, a case id, or terms like customer:"Jane Doe" id:6f1c severity:high (all must hold).`

// parseSearchBox turns the search box's text into GET /cases parameters;
// text it cannot read is a 400 on q that says why.
func parseSearchBox(text string) (url.Values, error) {
	out := url.Values{}
	if n := utf8.RuneCountInString(text); n > searchBoxMax {
		return nil, httpx.BadParam("q", fmt.Sprintf("the search is %d characters long, at most %d", n, searchBoxMax))
	}
	var bare []string
	set := func(name, v string) error {
		if out.Has(name) {
			return httpx.BadParam("q", fmt.Sprintf("%s: is given twice; search one at a time", name))
		}
		out.Set(name, v)
		return nil
	}
	rest := strings.TrimSpace(text)
	for rest != "" {
		var key, value string
		var err error
		if strings.HasPrefix(rest, `"`) {
			value, rest, err = searchQuoted(rest)
		} else {
			word, after := searchWord(rest)
			colon := strings.IndexByte(word, ':')
			if colon < 0 {
				value, rest = word, after
			} else {
				key, rest = rest[:colon], rest[colon+1:]
				if strings.HasPrefix(rest, `"`) {
					value, rest, err = searchQuoted(rest)
				} else {
					value, rest = searchWord(rest)
				}
			}
		}
		if err != nil {
			return nil, err
		}
		rest = strings.TrimSpace(rest)
		switch key {
		case "":
			bare = append(bare, value)
		case "customer", "id":
			if err := set(key, value); err != nil {
				return nil, err
			}
		default:
			out.Add("attr", key+":"+value)
		}
	}
	if len(bare) > 0 {
		word := strings.Join(bare, " ")
		if len(bare) == 1 && len(word) == apiv1.CaseIDLength && strings.Trim(strings.ToLower(word), "0123456789abcdef-") == "" {
			return out, set("id", word)
		}
		if err := set("customer", word); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// searchQuoted reads the double-quoted string s starts with (Go's escapes).
func searchQuoted(s string) (value, rest string, err error) {
	q, err := strconv.QuotedPrefix(s)
	if err != nil {
		return "", "", httpx.BadParam("q", `a quoted value has no closing quote (write customer:"Jane Doe")`)
	}
	v, err := strconv.Unquote(q)
	if err != nil {
		return "", "", httpx.BadParam("q", fmt.Sprintf("cannot read %s", q))
	}
	return v, s[len(q):], nil
}

// searchBoxFields name the search parameters in the search box's words.
var searchBoxFields = map[string]string{
	"q":        "Search",
	"customer": "Customer",
	"id":       "Case id",
	"attr":     "Attribute (key:value)",
}

// searchBoxMessage says why a search was refused, or "" when p is about
// another parameter (a stale cursor): that is no search error.
func searchBoxMessage(p *httpx.Problem) string {
	if len(p.Errors) == 0 {
		return ""
	}
	label, ok := searchBoxFields[p.Errors[0].Field]
	if !ok {
		return ""
	}
	return label + ": " + p.Errors[0].Message
}

// searchWord splits text at its first white space: the word before it and
// the rest from it.
func searchWord(text string) (word, rest string) {
	end := strings.IndexFunc(text, unicode.IsSpace)
	if end < 0 {
		end = len(text)
	}
	return text[:end], text[end:]
}
