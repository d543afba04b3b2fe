package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/configs"
)

// With --trust, a config not signed by a trusted key is refused at boot
// with exit status 2 and the reason; so are a trust file without keys and
// a health check deadline that is not positive.
func TestTrustAtBoot(t *testing.T) {
	dir := t.TempDir()
	pub, priv, err := configs.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	trust := filepath.Join(dir, "trust.pem")
	os.WriteFile(trust, configs.MarshalPublicKey(pub), 0o600)
	noKeys := filepath.Join(dir, "empty.pem")
	os.WriteFile(noKeys, []byte("no keys\n"), 0o600)
	body := "device: {id: site-1}\nsensors:\n  - {name: dust, driver: pms5003, serial: {port: /dev/ttyNOPE}}\n" +
		"outbox: {path: outbox.db}\nuplink: {broker: \"tcp://127.0.0.1:1\"}\n"
	cfg := filepath.Join(dir, "agent.yaml")
	os.WriteFile(cfg, []byte(body), 0o600)
	signed, err := configs.Sign([]byte(body), priv)
	if err != nil {
		t.Fatal(err)
	}
	tampered := filepath.Join(dir, "tampered.yaml")
	os.WriteFile(tampered, []byte(strings.Replace(string(signed), "site-1", "site-2", 1)), 0o600)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", cfg, "--trust", trust},
			`xiuhua-agent: configapply: refusing ` + cfg + `: configs: config is not signed (no "# xiuhua-signature: " line)`},
		{[]string{"--config", tampered, "--trust", trust},
			"xiuhua-agent: configapply: refusing " + tampered + ": configs: signature does not match the config: tampered or corrupted (key " + configs.KeyID(pub) + ")"},
		{[]string{"--config", cfg, "--trust", filepath.Join(dir, "nope.pem")},
			"xiuhua-agent: --trust: open " + filepath.Join(dir, "nope.pem") + ": no such file or directory"},
		{[]string{"--config", cfg, "--trust", noKeys}, "xiuhua-agent: --trust: " + noKeys + `: configs: no PEM "PUBLIC KEY" block found`},
		{[]string{"--config", cfg, "--apply-deadline", "0s"}, "xiuhua-agent: --apply-deadline 0s must be positive"},
	} {
		var stderr strings.Builder
		if code := dispatch(tc.args, nil, io.Discard, &stderr); code != 2 || strings.TrimSpace(stderr.String()) != tc.want {
			t.Errorf("%v: exit %d, stderr:\n%s\nwant exit 2 and:\n%s", tc.args, code, stderr.String(), tc.want)
		}
	}
}
