package configs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fixedKey is a key pair from a fixed seed, so that signatures (ed25519 is
// deterministic) and key ids can be checked byte for byte.
func fixedKey() (ed25519.PublicKey, ed25519.PrivateKey) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	return priv.Public().(ed25519.PublicKey), priv
}

func TestSignExactBytes(t *testing.T) {
	pub, priv := fixedKey()
	id := KeyID(pub)
	sum := sha256.Sum256(pub)
	if id != hex.EncodeToString(sum[:8]) || len(id) != 16 {
		t.Fatalf("KeyID = %q, want the first 8 bytes of SHA-256 of the key in hex", id)
	}
	body := "device: {id: gauge-1}\n"
	signed, err := Sign([]byte(body), priv)
	if err != nil {
		t.Fatal(err)
	}
	want := body + "# xiuhua-signature: ed25519 " + id + " " +
		base64.StdEncoding.EncodeToString(ed25519.Sign(priv, []byte(body))) + "\n"
	if string(signed) != want {
		t.Fatalf("signed:\n%s\nwant:\n%s", signed, want)
	}
	if h := Hash(signed); h != sha256Hex([]byte(body)) {
		t.Errorf("Hash(signed) = %s, want SHA-256 of the body %s", h, sha256Hex([]byte(body)))
	}

	// A body without a final newline gets one before it is signed: the
	// signature line must start a line of its own.
	signed2, err := Sign([]byte(strings.TrimSuffix(body, "\n")), priv)
	if err != nil || !bytes.Equal(signed2, signed) {
		t.Errorf("signing without the final newline = %q, %v; want the same file", signed2, err)
	}
	// Signing a signed file with another key replaces the signature.
	pub3, priv3, _ := GenerateKey()
	re, err := Sign(signed, priv3)
	if err != nil {
		t.Fatal(err)
	}
	if _, gotID, err := Verify(re, []ed25519.PublicKey{pub3}); err != nil || gotID != KeyID(pub3) || bytes.Count(re, []byte(sigPrefix)) != 1 {
		t.Errorf("re-signed: id %q, %v, %d signature lines", gotID, err, bytes.Count(re, []byte(sigPrefix)))
	}
	if _, _, err := Verify(re, []ed25519.PublicKey{pub}); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("re-signed file verified with the old key: %v", err)
	}
}

func TestSplit(t *testing.T) {
	pub, priv := fixedKey()
	body := "device: {id: gauge-1}\n# a comment of the engineer's\n"
	signed, _ := Sign([]byte(body), priv)
	sigLine := string(signed[len(body):])
	tests := []struct {
		name     string
		data     string
		wantBody string
		signed   bool
		err      string // "" for none
	}{
		{"unsigned", body, body, false, ""},
		{"empty", "", "", false, ""},
		{"signed", string(signed), body, true, ""},
		{"blank lines after the signature", string(signed) + "\n  \n", body, true, ""},
		{"no newline after the signature", strings.TrimSuffix(string(signed), "\n"), body, true, ""},
		{"CRLF after the signature", strings.TrimSuffix(string(signed), "\n") + "\r\n", body, true, ""},
		{"text after the signature", string(signed) + "uplink: {}\n", "", false,
			"configs: signature does not match the config: tampered or corrupted: text after the signature line"},
		{"comment after the signature", string(signed) + "# ok?\n", "", false,
			"configs: signature does not match the config: tampered or corrupted: text after the signature line"},
		{"two signature lines", body + sigLine + sigLine, "", false,
			"configs: signature does not match the config: tampered or corrupted: more than one signature line"},
		{"another algorithm", body + sigPrefix + "rsa " + KeyID(pub) + " AAAA\n", "", false,
			`configs: signature does not match the config: tampered or corrupted: signature line is not "# xiuhua-signature: ed25519 <key id> <signature>"`},
		{"missing field", body + sigPrefix + "ed25519 " + KeyID(pub) + "\n", "", false,
			`configs: signature does not match the config: tampered or corrupted: signature line is not "# xiuhua-signature: ed25519 <key id> <signature>"`},
		{"short signature", body + sigPrefix + "ed25519 " + KeyID(pub) + " AAAA\n", "", false,
			"configs: signature does not match the config: tampered or corrupted: signature is not 64 bytes of base64"},
		{"not base64", body + sigPrefix + "ed25519 " + KeyID(pub) + " ***\n", "", false,
			"configs: signature does not match the config: tampered or corrupted: signature is not 64 bytes of base64"},
		// Indented, the line is no signature line but an ordinary comment.
		{"indented", body + "  " + sigLine, body + "  " + sigLine, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, sig, err := Split([]byte(tc.data))
			if tc.err != "" {
				if err == nil || err.Error() != tc.err || !errors.Is(err, ErrBadSignature) {
					t.Fatalf("err = %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil || string(b) != tc.wantBody || (sig != nil) != tc.signed {
				t.Fatalf("Split = %q, %+v, %v; want %q, signed %v", b, sig, err, tc.wantBody, tc.signed)
			}
			if sig != nil && (sig.KeyID != KeyID(pub) || !ed25519.Verify(pub, b, sig.Sig)) {
				t.Errorf("signature = %+v, not the key's over the body", sig)
			}
		})
	}
}

func TestVerifyErrors(t *testing.T) {
	pub, priv := fixedKey()
	body := []byte("device: {id: gauge-1}\n")
	signed, _ := Sign(body, priv)
	// The same key id with a signature of other bytes.
	forged := append(append([]byte(nil), body...), sigPrefix+"ed25519 "+KeyID(pub)+" "+
		base64.StdEncoding.EncodeToString(ed25519.Sign(priv, []byte("something else\n")))+"\n"...)
	for name, tc := range map[string]struct {
		data    []byte
		trusted []ed25519.PublicKey
		want    string
		is      error
	}{
		"nobody trusted": {signed, nil, "configs: config is signed by a key this device does not trust (key " + KeyID(pub) + ")", ErrUnknownKey},
		"forged":         {forged, []ed25519.PublicKey{pub}, "configs: signature does not match the config: tampered or corrupted (key " + KeyID(pub) + ")", ErrBadSignature},
		"unsigned":       {body, []ed25519.PublicKey{pub}, `configs: config is not signed (no "# xiuhua-signature: " line)`, ErrUnsigned},
		"whitespace changed": {bytes.Replace(signed, []byte("{id: gauge-1}"), []byte("{id:  gauge-1}"), 1), []ed25519.PublicKey{pub},
			"configs: signature does not match the config: tampered or corrupted (key " + KeyID(pub) + ")", ErrBadSignature},
	} {
		_, _, err := Verify(tc.data, tc.trusted)
		if err == nil || err.Error() != tc.want || !errors.Is(err, tc.is) {
			t.Errorf("%s: Verify = %v, want %s", name, err, tc.want)
		}
	}
}

// A signed example config is still a config: it loads, and its hash is the
// unsigned file's.
func TestSignedConfigLoads(t *testing.T) {
	_, priv := fixedKey()
	data, err := os.ReadFile("examples/river-gauge.yaml")
	if err != nil {
		t.Fatal(err)
	}
	signed, err := Sign(data, priv)
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParseAgent("examples/river-gauge.yaml", signed)
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash() != sha256Hex(data) || a.Hash() != Hash(signed) {
		t.Errorf("hash of the signed config = %s, want the unsigned file's %s", a.Hash(), sha256Hex(data))
	}
}

func TestKeyParsingErrors(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecPubDER, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	ecPrivDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	ecPub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecPubDER})
	ecPriv := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecPrivDER})
	pub, priv := fixedKey()
	for name, tc := range map[string]struct {
		parse func([]byte) error
		data  []byte
		want  string
	}{
		"ecdsa public":   {pubErr, ecPub, "configs: public key is *ecdsa.PublicKey, not ed25519"},
		"ecdsa private":  {privErr, ecPriv, "configs: private key is *ecdsa.PrivateKey, not ed25519"},
		"no PEM":         {pubErr, []byte("ssh-ed25519 AAAA"), `configs: no PEM "PUBLIC KEY" block found`},
		"public as priv": {privErr, MarshalPublicKey(pub), `configs: PEM block is "PUBLIC KEY", want "PRIVATE KEY"`},
		"garbled":        {pubErr, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2, 3}}), "configs: parse public key: "},
		"trust file with a private key": {keysErr, append(MarshalPublicKey(pub), MarshalPrivateKey(priv)...),
			`configs: PEM block is "PRIVATE KEY", want "PUBLIC KEY" (key 2)`},
		"trust file with an ecdsa key": {keysErr, append(MarshalPublicKey(pub), ecPub...),
			"configs: public key is *ecdsa.PublicKey, not ed25519 (key 2)"},
	} {
		err := tc.parse(tc.data)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %s", name, err, tc.want)
		}
	}
}

func pubErr(b []byte) error  { _, err := ParsePublicKey(b); return err }
func privErr(b []byte) error { _, err := ParsePrivateKey(b); return err }
func keysErr(b []byte) error { _, err := ParsePublicKeys(b); return err }

// The keys are the PEM forms OpenSSL reads and writes: OpenSSL signs a
// body with our private key into the very signature Sign writes (ed25519
// is deterministic), verifies ours with our public key, and a key OpenSSL
// generates signs configs that Verify accepts.
func TestOpenSSLInterop(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatalf("openssl is not installed: %v", err)
	}
	dir := t.TempDir()
	run := func(args ...string) []byte {
		t.Helper()
		out, err := exec.Command(openssl, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	file := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pub, priv := fixedKey()
	body := []byte("device: {id: gauge-1}\n")
	signed, _ := Sign(body, priv)
	_, sig, _ := Split(signed)

	bodyFile := file("body", body)
	ours := run("pkeyutl", "-sign", "-rawin", "-inkey", file("ours.key", MarshalPrivateKey(priv)), "-in", bodyFile)
	if !bytes.Equal(ours, sig.Sig) {
		t.Errorf("openssl's signature with our key differs from Sign's")
	}
	out := run("pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", file("ours.pub", MarshalPublicKey(pub)),
		"-in", bodyFile, "-sigfile", file("sig", sig.Sig))
	if !strings.Contains(string(out), "Signature Verified Successfully") {
		t.Errorf("openssl verify: %s", out)
	}

	keyFile := filepath.Join(dir, "theirs.key")
	run("genpkey", "-algorithm", "ed25519", "-out", keyFile)
	pubPEM := run("pkey", "-in", keyFile, "-pubout")
	theirPriv, err := ParsePrivateKey(mustRead(t, keyFile))
	if err != nil {
		t.Fatal(err)
	}
	theirPub, err := ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := Sign(body, theirPriv)
	if _, id, err := Verify(s2, []ed25519.PublicKey{theirPub}); err != nil || id != KeyID(theirPub) {
		t.Errorf("a config signed with an OpenSSL key: %q, %v", id, err)
	}
	if !bytes.Equal(MarshalPublicKey(theirPub), pubPEM) {
		t.Errorf("MarshalPublicKey differs from openssl's PEM:\n%s\n%s", MarshalPublicKey(theirPub), pubPEM)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
