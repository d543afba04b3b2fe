package configs

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
)

// A signed config carries its ed25519 signature on its last line, as a YAML
// comment, so that the file stays a config an engineer can read, diff and
// load, and a single file travels over MQTT or on an SD card:
//
//	...the config...
//	# xiuhua-signature: ed25519 <key id> <base64 signature>
//
// The signature covers every byte before that line: the body. Keys are
// stored as PEM (PKIX "PUBLIC KEY", PKCS #8 "PRIVATE KEY"), the forms
// openssl reads. A key id is the first 8 bytes of the SHA-256 of the raw
// public key, in hex.
const sigPrefix = "# xiuhua-signature: "

// Errors of Verify; each comes wrapped with the detail.
var (
	ErrUnsigned     = errors.New("config is not signed")
	ErrBadSignature = errors.New("signature does not match the config: tampered or corrupted")
	ErrUnknownKey   = errors.New("config is signed by a key this device does not trust")
)

// GenerateKey makes a new signing key pair from crypto/rand.
func GenerateKey() (ed25519.PublicKey, ed25519.PrivateKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("configs: generate key: %w", err)
	}
	return pub, priv, nil
}

// KeyID names a public key in signatures and messages.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// MarshalPublicKey encodes pub as a PEM "PUBLIC KEY" block.
func MarshalPublicKey(pub ed25519.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil { // only for a key of the wrong length
		panic(fmt.Sprintf("configs: marshal public key: %v", err))
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// MarshalPrivateKey encodes priv as a PEM "PRIVATE KEY" block (PKCS #8).
func MarshalPrivateKey(priv ed25519.PrivateKey) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		panic(fmt.Sprintf("configs: marshal private key: %v", err))
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// ParsePublicKey decodes a PEM "PUBLIC KEY" block holding an ed25519 key.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	der, err := pemBlock(data, "PUBLIC KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("configs: parse public key: %w", err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("configs: public key is %T, not ed25519", k)
	}
	return pub, nil
}

// ParsePublicKeys decodes every PEM "PUBLIC KEY" block in data: a device's
// trust file may hold several keys (the current one and its successor
// during a rotation). It is an error when there is none.
func ParsePublicKeys(data []byte) ([]ed25519.PublicKey, error) {
	var keys []ed25519.PublicKey
	for {
		b, rest := pem.Decode(data)
		if b == nil {
			break
		}
		k, err := ParsePublicKey(pem.EncodeToMemory(b))
		if err != nil {
			return nil, fmt.Errorf("%w (key %d)", err, len(keys)+1)
		}
		keys = append(keys, k)
		data = rest
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("configs: no PEM %q block found", "PUBLIC KEY")
	}
	return keys, nil
}

// ParsePrivateKey decodes a PEM "PRIVATE KEY" block holding an ed25519 key.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	der, err := pemBlock(data, "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("configs: parse private key: %w", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("configs: private key is %T, not ed25519", k)
	}
	return priv, nil
}

func pemBlock(data []byte, typ string) ([]byte, error) {
	b, _ := pem.Decode(data)
	switch {
	case b == nil:
		return nil, fmt.Errorf("configs: no PEM %q block found", typ)
	case b.Type != typ:
		return nil, fmt.Errorf("configs: PEM block is %q, want %q", b.Type, typ)
	}
	return b.Bytes, nil
}

// Signature is the parsed signature line of a signed config.
type Signature struct {
	KeyID string
	Sig   []byte
}

// Split separates a config into its body and its signature line. sig is
// nil for an unsigned config. A signature line anywhere but last (blank
// lines after it aside) or one that does not parse is an error: appending
// to a signed file must not go unnoticed.
func Split(data []byte) (body []byte, sig *Signature, err error) {
	at := -1
	for off := 0; off < len(data); {
		end := bytes.IndexByte(data[off:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += off
		}
		line := data[off:end]
		switch {
		case bytes.HasPrefix(line, []byte(sigPrefix)):
			if at >= 0 {
				return nil, nil, fmt.Errorf("configs: %w: more than one signature line", ErrBadSignature)
			}
			at = off
		case at >= 0 && len(bytes.TrimSpace(line)) > 0:
			return nil, nil, fmt.Errorf("configs: %w: text after the signature line", ErrBadSignature)
		}
		off = end + 1
	}
	if at < 0 {
		return data, nil, nil
	}
	// Trim after the prefix: the prefix ends in a space, which trimming the
	// whole line could eat, leaving it shorter than the prefix.
	fields := bytes.TrimRight(data[at+len(sigPrefix):], "\r\n\t ")
	var alg, id, b64 string
	if n, _ := fmt.Sscanf(string(fields), "%s %s %s", &alg, &id, &b64); n != 3 || alg != "ed25519" {
		return nil, nil, fmt.Errorf("configs: %w: signature line is not %q", ErrBadSignature, sigPrefix+"ed25519 <key id> <signature>")
	}
	s, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(s) != ed25519.SignatureSize {
		return nil, nil, fmt.Errorf("configs: %w: signature is not %d bytes of base64", ErrBadSignature, ed25519.SignatureSize)
	}
	return data[:at], &Signature{KeyID: id, Sig: s}, nil
}

// Sign returns data signed with priv, replacing any signature it had. The
// body is data without its old signature line, ending in a newline.
func Sign(data []byte, priv ed25519.PrivateKey) ([]byte, error) {
	body, _, err := Split(data)
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), body...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	sig := ed25519.Sign(priv, out)
	pub := priv.Public().(ed25519.PublicKey)
	return fmt.Appendf(out, "%sed25519 %s %s\n", sigPrefix, KeyID(pub), base64.StdEncoding.EncodeToString(sig)), nil
}

// Verify checks that data is signed by one of trusted and returns its body
// and the key id that signed it. Its errors wrap ErrUnsigned,
// ErrBadSignature or ErrUnknownKey.
func Verify(data []byte, trusted []ed25519.PublicKey) (body []byte, keyID string, err error) {
	body, sig, err := Split(data)
	if err != nil {
		return nil, "", err
	}
	if sig == nil {
		return nil, "", fmt.Errorf("configs: %w (no %q line)", ErrUnsigned, sigPrefix)
	}
	for _, k := range trusted {
		if KeyID(k) != sig.KeyID {
			continue
		}
		if !ed25519.Verify(k, body, sig.Sig) {
			return nil, "", fmt.Errorf("configs: %w (key %s)", ErrBadSignature, sig.KeyID)
		}
		return body, sig.KeyID, nil
	}
	return nil, "", fmt.Errorf("configs: %w (key %s)", ErrUnknownKey, sig.KeyID)
}

// Hash is the SHA-256, in hex, of a config's body: the same for the file
// signed or not, and the hash an agent reports for the config it applied.
func Hash(data []byte) string {
	body, _, err := Split(data)
	if err != nil {
		body = data
	}
	return sha256Hex(body)
}
