// Package codec encrypts Temporal payloads with AES-256-GCM, so workflow
// inputs, results, activity arguments, signals, updates, queries and
// memos (case attributes, task form data, customer names) reach the
// Temporal server and its database only as ciphertext.
//
// A payload is encrypted with the keyring's first (newest) key and carries
// that key's id in its metadata; any key of the ring decrypts. Rotating a
// key is adding a new first key to the ring of every process and keeping
// the old one for as long as histories encrypted with it are read.
//
// The encrypted payload's metadata is
//
//	encoding:          binary/encrypted
//	encryption-cipher: AES256-GCM
//	encryption-key-id: <key id>
//
// and its data is the 12-byte nonce followed by the GCM ciphertext (with
// its 16-byte tag) of the original payload serialized as protobuf. The
// cipher name and the key id are authenticated as additional data.
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// Metadata of an encrypted payload.
const (
	// EncodingEncrypted is the "encoding" metadata of an encrypted payload.
	EncodingEncrypted = "binary/encrypted"
	// MetadataCipher names the cipher; its only value is Cipher.
	MetadataCipher = "encryption-cipher"
	// MetadataKeyID names the key a payload was encrypted with.
	MetadataKeyID = "encryption-key-id"
	// Cipher is the value of MetadataCipher.
	Cipher = "AES256-GCM"
)

// KeySize is the size of a key in bytes (AES-256).
const KeySize = 32

const nonceSize = 12

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Keyring holds the keys of a codec: the first encrypts, all decrypt.
type Keyring struct {
	ids   []string
	aeads map[string]cipher.AEAD
}

// ParseKeyring reads keys written as ID:KEY, where ID is 1-64 letters,
// digits, '.', '_' or '-' (starting with a letter or digit) and KEY is 32
// bytes in base64 (standard or URL alphabet, padded or not), e.g. the
// output of `openssl rand -base64 32`. Entries are separated by newlines
// or commas; blank lines and lines starting with # are ignored. The first
// entry is the newest key: it encrypts. Errors never quote a key.
func ParseKeyring(text string) (*Keyring, error) {
	k := &Keyring{aeads: map[string]cipher.AEAD{}}
	n := 0
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, entry := range strings.Split(line, ",") {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			n++
			id, secret, err := parseEntry(entry)
			if err != nil {
				return nil, fmt.Errorf("codec: key %d: %w", n, err)
			}
			if _, dup := k.aeads[id]; dup {
				return nil, fmt.Errorf("codec: key %d: id %q appears twice", n, id)
			}
			block, err := aes.NewCipher(secret)
			if err != nil {
				return nil, fmt.Errorf("codec: key %d (%s): %w", n, id, err)
			}
			aead, err := cipher.NewGCM(block)
			if err != nil {
				return nil, fmt.Errorf("codec: key %d (%s): %w", n, id, err)
			}
			k.ids = append(k.ids, id)
			k.aeads[id] = aead
		}
	}
	if n == 0 {
		return nil, errors.New("codec: no key: want at least one ID:BASE64KEY entry")
	}
	return k, nil
}

// LoadKeyring reads a keyring file (see ParseKeyring).
func LoadKeyring(path string) (*Keyring, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("codec: read key file: %w", err)
	}
	k, err := ParseKeyring(string(b))
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return k, nil
}

func parseEntry(entry string) (string, []byte, error) {
	id, enc, ok := strings.Cut(entry, ":")
	if !ok {
		return "", nil, errors.New("want ID:BASE64KEY (no ':' found)")
	}
	id, enc = strings.TrimSpace(id), strings.TrimSpace(enc)
	if !keyIDPattern.MatchString(id) {
		return "", nil, fmt.Errorf("id %q: want 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", id)
	}
	secret, err := decodeBase64(enc)
	if err != nil {
		return "", nil, fmt.Errorf("id %q: the key is not base64", id)
	}
	if len(secret) != KeySize {
		return "", nil, fmt.Errorf("id %q: the key has %d bytes, want %d (e.g. openssl rand -base64 32)", id, len(secret), KeySize)
	}
	return id, secret, nil
}

func decodeBase64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// ActiveKeyID is the id of the key that encrypts.
func (k *Keyring) ActiveKeyID() string { return k.ids[0] }

// KeyIDs lists the ids of the ring, newest first.
func (k *Keyring) KeyIDs() []string { return append([]string(nil), k.ids...) }

// Codec is a converter.PayloadCodec that encrypts with a keyring.
type Codec struct{ keys *Keyring }

var _ converter.PayloadCodec = (*Codec)(nil)

// New returns the codec of keys.
func New(keys *Keyring) *Codec { return &Codec{keys: keys} }

// Encode encrypts each payload with the active key. Payloads already
// encrypted are left as they are.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	id := c.keys.ActiveKeyID()
	aead := c.keys.aeads[id]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if isEncrypted(p) {
			out[i] = p
			continue
		}
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("codec: serialize payload: %w", err)
		}
		buf := make([]byte, nonceSize, nonceSize+len(plain)+aead.Overhead())
		if _, err := rand.Read(buf); err != nil {
			return nil, fmt.Errorf("codec: nonce: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(EncodingEncrypted),
				MetadataCipher:             []byte(Cipher),
				MetadataKeyID:              []byte(id),
			},
			Data: aead.Seal(buf, buf[:nonceSize], plain, additionalData(id)),
		}
	}
	return out, nil
}

// Decode decrypts encrypted payloads with the key their metadata names;
// payloads that are not encrypted (written before encryption was turned
// on) pass through unchanged.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if !isEncrypted(p) {
			out[i] = p
			continue
		}
		if ciph := string(p.GetMetadata()[MetadataCipher]); ciph != Cipher {
			return nil, fmt.Errorf("codec: payload encrypted with cipher %q, want %q", ciph, Cipher)
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		aead, ok := c.keys.aeads[id]
		if !ok {
			return nil, fmt.Errorf("codec: payload encrypted with key %q, which is not in the keyring (%s)", id, strings.Join(c.keys.ids, ", "))
		}
		data := p.GetData()
		if len(data) < nonceSize+aead.Overhead() {
			return nil, fmt.Errorf("codec: encrypted payload too short (%d bytes)", len(data))
		}
		plain, err := aead.Open(nil, data[:nonceSize], data[nonceSize:], additionalData(id))
		if err != nil {
			return nil, fmt.Errorf("codec: decrypt payload with key %q: %w", id, err)
		}
		var dec commonpb.Payload
		if err := proto.Unmarshal(plain, &dec); err != nil {
			return nil, fmt.Errorf("codec: decrypted payload: %w", err)
		}
		out[i] = &dec
	}
	return out, nil
}

func isEncrypted(p *commonpb.Payload) bool {
	return string(p.GetMetadata()[converter.MetadataEncoding]) == EncodingEncrypted
}

func additionalData(keyID string) []byte { return []byte(Cipher + "\x00" + keyID) }
