package eventlog

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"testing"
)

func benchFile(b *testing.B, name string) []byte {
	data, err := os.ReadFile(helpdeskDir + "/" + name)
	if err != nil {
		b.Skipf("the Helpdesk log is not here (%v)", err)
	}
	return data
}

func benchRead(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		rd, err := Open(bytes.NewReader(data), Options{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			_, err := rd.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != helpdeskEvents {
			b.Fatalf("%d events", n)
		}
	}
}

// BenchmarkHelpdeskCSV and BenchmarkHelpdeskXES read the real log;
// BenchmarkXMLTokens is the floor: decompressing and tokenising the same
// XES with encoding/xml's RawToken (as the reader does), doing nothing
// with the tokens.
func BenchmarkHelpdeskCSV(b *testing.B) { benchRead(b, benchFile(b, "helpdesk.csv")) }
func BenchmarkHelpdeskXES(b *testing.B) { benchRead(b, benchFile(b, "helpdesk.xes.gz")) }

func BenchmarkXMLTokens(b *testing.B) {
	data := benchFile(b, "helpdesk.xes.gz")
	for i := 0; i < b.N; i++ {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		d := xml.NewDecoder(zr)
		for {
			_, err := d.RawToken()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
