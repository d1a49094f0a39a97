package codec

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

func newKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, KeySize)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(b)
}

func payload(t *testing.T, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	require.NoError(t, err)
	return p
}

func TestRoundTripHidesPlaintext(t *testing.T) {
	t.Parallel()
	ring, err := ParseKeyring("k1:" + newKey(t))
	require.NoError(t, err)
	c := New(ring)
	in := []*commonpb.Payload{payload(t, map[string]string{"customer": "Canary-Zebulon-4711"}), payload(t, 42)}

	enc, err := c.Encode(in)
	require.NoError(t, err)
	require.Len(t, enc, 2)
	for _, p := range enc {
		raw, err := proto.Marshal(p)
		require.NoError(t, err)
		require.NotContains(t, string(raw), "Canary-Zebulon-4711")
		require.Equal(t, EncodingEncrypted, string(p.Metadata[converter.MetadataEncoding]))
		require.Equal(t, Cipher, string(p.Metadata[MetadataCipher]))
		require.Equal(t, "k1", string(p.Metadata[MetadataKeyID]))
	}
	// The input is not mutated.
	require.Equal(t, "json/plain", string(in[0].Metadata[converter.MetadataEncoding]))

	dec, err := c.Decode(enc)
	require.NoError(t, err)
	for i := range in {
		require.True(t, proto.Equal(in[i], dec[i]), "payload %d", i)
	}

	// A fresh nonce each time: the same payload never encrypts the same.
	again, err := c.Encode(in[:1])
	require.NoError(t, err)
	require.False(t, bytes.Equal(enc[0].Data, again[0].Data))
}

func TestRotation(t *testing.T) {
	t.Parallel()
	oldKey, newK := newKey(t), newKey(t)
	oldRing, err := ParseKeyring("2024-01:" + oldKey)
	require.NoError(t, err)
	// The new key comes first; the old one stays to read old histories.
	rotated, err := ParseKeyring("2025-06:" + newK + "\n2024-01:" + oldKey + "\n")
	require.NoError(t, err)
	require.Equal(t, "2025-06", rotated.ActiveKeyID())
	require.Equal(t, []string{"2025-06", "2024-01"}, rotated.KeyIDs())

	in := []*commonpb.Payload{payload(t, "secret form data")}
	byOld, err := New(oldRing).Encode(in)
	require.NoError(t, err)
	dec, err := New(rotated).Decode(byOld)
	require.NoError(t, err)
	require.True(t, proto.Equal(in[0], dec[0]))

	byNew, err := New(rotated).Encode(in)
	require.NoError(t, err)
	require.Equal(t, "2025-06", string(byNew[0].Metadata[MetadataKeyID]))
	// A process that was not given the new key names the missing one.
	_, err = New(oldRing).Decode(byNew)
	require.ErrorContains(t, err, `key "2025-06", which is not in the keyring (2024-01)`)
}

func TestDecodeRejectsTampering(t *testing.T) {
	t.Parallel()
	ring, err := ParseKeyring("a:" + newKey(t) + ", b:" + newKey(t))
	require.NoError(t, err)
	c := New(ring)
	enc, err := c.Encode([]*commonpb.Payload{payload(t, "x")})
	require.NoError(t, err)

	flipped := proto.Clone(enc[0]).(*commonpb.Payload)
	flipped.Data[len(flipped.Data)-1] ^= 1
	_, err = c.Decode([]*commonpb.Payload{flipped})
	require.ErrorContains(t, err, `decrypt payload with key "a"`)

	// Relabelling the key id fails authentication too.
	relabelled := proto.Clone(enc[0]).(*commonpb.Payload)
	relabelled.Metadata[MetadataKeyID] = []byte("b")
	_, err = c.Decode([]*commonpb.Payload{relabelled})
	require.ErrorContains(t, err, `decrypt payload with key "b"`)

	short := proto.Clone(enc[0]).(*commonpb.Payload)
	short.Data = short.Data[:10]
	_, err = c.Decode([]*commonpb.Payload{short})
	require.ErrorContains(t, err, "too short")

	otherCipher := proto.Clone(enc[0]).(*commonpb.Payload)
	otherCipher.Metadata[MetadataCipher] = []byte("ROT13")
	_, err = c.Decode([]*commonpb.Payload{otherCipher})
	require.ErrorContains(t, err, `cipher "ROT13"`)
}

func TestPlainPayloadsPassThrough(t *testing.T) {
	t.Parallel()
	ring, err := ParseKeyring("k:" + newKey(t))
	require.NoError(t, err)
	c := New(ring)
	plain := payload(t, "written before encryption was turned on")
	dec, err := c.Decode([]*commonpb.Payload{plain})
	require.NoError(t, err)
	require.Same(t, plain, dec[0])

	enc, err := c.Encode([]*commonpb.Payload{plain})
	require.NoError(t, err)
	twice, err := c.Encode(enc)
	require.NoError(t, err)
	require.Same(t, enc[0], twice[0], "an encrypted payload is not encrypted again")
}

func TestDataConverterRoundTrip(t *testing.T) {
	t.Parallel()
	ring, err := ParseKeyring("k:" + newKey(t))
	require.NoError(t, err)
	dc := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), New(ring))
	type form struct{ Summary string }
	p, err := dc.ToPayload(form{"router down at Canary-Street"})
	require.NoError(t, err)
	require.NotContains(t, string(p.Data), "Canary-Street")
	var got form
	require.NoError(t, dc.FromPayload(p, &got))
	require.Equal(t, "router down at Canary-Street", got.Summary)
}

func TestParseKeyringErrors(t *testing.T) {
	t.Parallel()
	good := newKey(t)
	short := base64.StdEncoding.EncodeToString(make([]byte, 16))
	cases := []struct {
		name, text, want string
	}{
		{"empty", "", "no key"},
		{"only comments", "# a comment\n\n", "no key"},
		{"no colon", good, "key 1: want ID:BASE64KEY"},
		{"bad id", "bad id:" + good, `key 1: id "bad id"`},
		{"empty id", ":" + good, `key 1: id ""`},
		{"not base64", "k:not*base64!", `key 1: id "k": the key is not base64`},
		{"short key", "k:" + short, "the key has 16 bytes, want 32"},
		{"duplicate", "k:" + good + "\nk:" + newKey(t), `key 2: id "k" appears twice`},
		{"second bad", "a:" + good + ",b:xyz", `key 2: id "b"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseKeyring(tc.text)
			require.ErrorContains(t, err, tc.want)
			if strings.Contains(tc.text, good) {
				require.NotContains(t, err.Error(), good, "errors never quote a key")
			}
		})
	}
}

func TestParseKeyringFormats(t *testing.T) {
	t.Parallel()
	raw := make([]byte, KeySize)
	_, err := rand.Read(raw)
	require.NoError(t, err)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		ring, err := ParseKeyring(" # rotated 2025\n k1 : " + enc.EncodeToString(raw) + " \n")
		require.NoError(t, err)
		require.Equal(t, []string{"k1"}, ring.KeyIDs())
	}
}

func TestLoadKeyring(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "keys")
	require.NoError(t, os.WriteFile(path, []byte("# flowlab payload keys, newest first\nv2:"+newKey(t)+"\nv1:"+newKey(t)+"\n"), 0o600))
	ring, err := LoadKeyring(path)
	require.NoError(t, err)
	require.Equal(t, "v2", ring.ActiveKeyID())

	_, err = LoadKeyring(filepath.Join(dir, "missing"))
	require.ErrorContains(t, err, "read key file")
	require.NoError(t, os.WriteFile(path, []byte("v1:short\n"), 0o600))
	_, err = LoadKeyring(path)
	require.ErrorContains(t, err, "(in "+path+")")
}
