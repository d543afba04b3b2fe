package configs

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
)

func TestSignVerify(t *testing.T) {
	pub, priv, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	other, _, _ := GenerateKey()
	body := []byte("device:\n  id: gauge-1\n")
	signed, err := Sign(body, priv)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(signed, body) || !strings.HasPrefix(string(signed[len(body):]), sigPrefix+"ed25519 "+KeyID(pub)+" ") {
		t.Fatalf("signed file:\n%s", signed)
	}
	got, id, err := Verify(signed, []ed25519.PublicKey{other, pub})
	if err != nil || !bytes.Equal(got, body) || id != KeyID(pub) {
		t.Fatalf("Verify = %q, %q, %v", got, id, err)
	}
	if Hash(signed) != Hash(body) {
		t.Error("the hash changes with the signature")
	}
	resigned, err := Sign(signed, priv)
	if err != nil || !bytes.Equal(resigned, signed) {
		t.Errorf("signing again = %q, %v; want the same file", resigned, err)
	}

	tampered := bytes.Replace(signed, []byte("gauge-1"), []byte("gauge-2"), 1)
	appended := append(append([]byte(nil), signed...), "uplink: {}\n"...)
	for name, tc := range map[string]struct {
		data    []byte
		trusted []ed25519.PublicKey
		want    error
	}{
		"unsigned":    {body, []ed25519.PublicKey{pub}, ErrUnsigned},
		"tampered":    {tampered, []ed25519.PublicKey{pub}, ErrBadSignature},
		"appended":    {appended, []ed25519.PublicKey{pub}, ErrBadSignature},
		"unknown key": {signed, []ed25519.PublicKey{other}, ErrUnknownKey},
		"bad line":    {append(append([]byte(nil), body...), sigPrefix+"ed25519 abc !!\n"...), []ed25519.PublicKey{pub}, ErrBadSignature},
	} {
		if _, _, err := Verify(tc.data, tc.trusted); !errors.Is(err, tc.want) {
			t.Errorf("%s: Verify error %v, want %v", name, err, tc.want)
		}
	}
}

func TestKeysRoundTrip(t *testing.T) {
	pub, priv, _ := GenerateKey()
	p2, err := ParsePublicKey(MarshalPublicKey(pub))
	if err != nil || !p2.Equal(pub) {
		t.Fatalf("public key round trip: %v", err)
	}
	k2, err := ParsePrivateKey(MarshalPrivateKey(priv))
	if err != nil || !k2.Equal(priv) {
		t.Fatalf("private key round trip: %v", err)
	}
	if _, err := ParsePublicKey(MarshalPrivateKey(priv)); err == nil || !strings.Contains(err.Error(), `"PRIVATE KEY", want "PUBLIC KEY"`) {
		t.Errorf("a private key read as public: %v", err)
	}
	other, _, _ := GenerateKey()
	both := append(MarshalPublicKey(pub), MarshalPublicKey(other)...)
	keys, err := ParsePublicKeys(both)
	if err != nil || len(keys) != 2 || !keys[0].Equal(pub) || !keys[1].Equal(other) {
		t.Errorf("ParsePublicKeys = %d keys, %v", len(keys), err)
	}
	if _, err := ParsePublicKeys([]byte("no keys here")); err == nil {
		t.Error("a file without keys parsed")
	}
}
