package main

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/configs"
)

// newKey runs keygen into dir and returns the paths and the key id.
func newKey(t *testing.T, dir, name string) (priv, pub, id string) {
	t.Helper()
	base := filepath.Join(dir, name)
	code, out, errs := run(t, "config", "keygen", "--out", base)
	if code != exitOK || errs != "" {
		t.Fatalf("keygen: exit %d, %s", code, errs)
	}
	pk, err := configs.ParsePublicKey(read(t, base+".pub"))
	if err != nil {
		t.Fatal(err)
	}
	id = configs.KeyID(pk)
	want := "wrote " + base + ".key: the private key; keep it off devices and out of version control\n" +
		"wrote " + base + ".pub: key id " + id + "; install it on devices as their trust file\n"
	if out != want {
		t.Fatalf("keygen output:\n%s\nwant:\n%s", out, want)
	}
	return base + ".key", base + ".pub", id
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestKeygen(t *testing.T) {
	dir := t.TempDir()
	priv, pub, _ := newKey(t, dir, "eng")
	for path, mode := range map[string]os.FileMode{priv: 0o600, pub: 0o644} {
		st, err := os.Stat(path)
		if err != nil || st.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, %v; want %v", path, st.Mode().Perm(), err, mode)
		}
	}
	k, err := configs.ParsePrivateKey(read(t, priv))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := configs.ParsePublicKey(read(t, pub))
	if !k.Public().(ed25519.PublicKey).Equal(p) {
		t.Error("the public key is not the private key's")
	}
	before := read(t, priv)
	expect(t, exitProblem, "", "xiuhuactl: "+priv+" exists; not overwriting a key (move it away first)\n", "config", "keygen", "--out", filepath.Join(dir, "eng"))
	if !bytes.Equal(read(t, priv), before) {
		t.Error("keygen overwrote a private key")
	}
	// Only the public key left behind still blocks a new pair.
	os.Remove(priv)
	expect(t, exitProblem, "", "xiuhuactl: "+pub+" exists; not overwriting a key (move it away first)\n", "config", "keygen", "--out", filepath.Join(dir, "eng"))
	if _, err := os.Stat(priv); err == nil {
		t.Error("keygen wrote a private key beside an old public key")
	}
	expect(t, exitUsage, "", "xiuhuactl: config keygen: give --out NAME and nothing else\nusage: xiuhuactl config keygen --out NAME\n"+
		"  -out string\n    \twrite the private key to NAME.key (mode 0600) and the public key to NAME.pub\n", "config", "keygen")
}

func TestSignAndVerify(t *testing.T) {
	dir := t.TempDir()
	priv, pub, id := newKey(t, dir, "eng")
	_, otherPub, _ := newKey(t, dir, "other")
	src := writeFile(t, dir, "gauge.yaml", gauge)
	out := filepath.Join(dir, "signed", "gauge.yaml")
	os.MkdirAll(filepath.Dir(out), 0o755)
	hash := configs.Hash([]byte(gauge))
	expect(t, exitOK, "signed "+out+" "+hash+" key "+id+"\n", "", "config", "sign", "--key", priv, "-o", out, src)
	k, _ := configs.ParsePrivateKey(read(t, priv))
	want, _ := configs.Sign([]byte(gauge), k)
	if !bytes.Equal(read(t, out), want) {
		t.Errorf("signed file:\n%s\nwant:\n%s", read(t, out), want)
	}
	// Without -o the signed config goes to standard output; flags may
	// follow the file.
	expect(t, exitOK, string(want), "", "config", "sign", src, "--key", priv)

	expect(t, exitOK, "ok "+out+" "+hash+" key "+id+"\n", "", "config", "verify", "--trust", pub, out)
	both := writeFile(t, dir, "both.pub", string(read(t, otherPub))+string(read(t, pub)))
	expect(t, exitOK, "ok "+out+" "+hash+" key "+id+"\n", "", "config", "verify", "--trust", both, out)
	tampered := writeFile(t, dir, "tampered.yaml", strings.Replace(string(want), "ttyS0", "ttyS1", 1))
	expect(t, exitProblem, "ok "+out+" "+hash+" key "+id+"\n",
		tampered+": signature does not match the config: tampered or corrupted (key "+id+")\n"+
			src+": config is not signed (no \"# xiuhua-signature: \" line)\n",
		"config", "verify", "--trust", pub, out, tampered, src)
	expect(t, exitProblem, "", out+": config is signed by a key this device does not trust (key "+id+")\n", "config", "verify", "--trust", otherPub, out)
	expect(t, exitProblem, "", "xiuhuactl: "+priv+`: PEM block is "PRIVATE KEY", want "PUBLIC KEY" (key 1)`+"\n", "config", "verify", "--trust", priv, out)

	// An invalid config is never signed.
	bad := writeFile(t, dir, "bad.yaml", strings.Replace(gauge, "/dev/ttyS0", "", 1))
	badOut := filepath.Join(dir, "bad.signed.yaml")
	expect(t, exitProblem, "", bad+": sensors[0].serial.port (line 5): required\nxiuhuactl: "+bad+" not signed: fix the problems above first\n",
		"config", "sign", "--key", priv, "-o", badOut, bad)
	if _, err := os.Stat(badOut); err == nil {
		t.Error("an invalid config was written signed")
	}
	col := "../../examples/collector.yaml"
	expect(t, exitProblem, "", col+": a collector config, not an agent config: only agent configs are signed and flashed\nxiuhuactl: "+col+" not signed: fix the problems above first\n",
		"config", "sign", "--key", priv, col)
	expect(t, exitProblem, "", "xiuhuactl: "+pub+`: PEM block is "PUBLIC KEY", want "PRIVATE KEY"`+"\n", "config", "sign", "--key", pub, src)
	// No temporary files are left beside the output.
	if m, _ := filepath.Glob(filepath.Join(dir, "signed", ".*")); len(m) != 0 {
		t.Errorf("left behind: %v", m)
	}
}
