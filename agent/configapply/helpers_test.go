package configapply

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/xiuhua/xiuhua/configs"
	_ "github.com/xiuhua/xiuhua/drivers/ads1115level" // registers "ads1115level"
	_ "github.com/xiuhua/xiuhua/drivers/ultrasonic"   // registers "ultrasonic"
)

// keys is a signing key and the trust list holding its public half.
type keys struct {
	priv  ed25519.PrivateKey
	trust []ed25519.PublicKey
	id    string
}

func newKeys(t *testing.T) keys {
	t.Helper()
	pub, priv, err := configs.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return keys{priv: priv, trust: []ed25519.PublicKey{pub}, id: configs.KeyID(pub)}
}

func (k keys) sign(t *testing.T, body string) []byte {
	t.Helper()
	b, err := configs.Sign([]byte(body), k.priv)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// levelConfig is a tide gauge's config: one ADS1115 level sensor per
// address given, on I2C bus 1, sampled every interval.
func levelConfig(id, broker, interval string, addrs ...int) string {
	s := fmt.Sprintf("device: {id: %s}\nsensors:\n", id)
	for i, a := range addrs {
		name := "level"
		if i > 0 {
			name = fmt.Sprintf("level%d", i+1)
		}
		s += fmt.Sprintf("  - {name: %s, driver: ads1115level, i2c: {bus: \"1\", address: %#x}, interval: %s, timeout: %s, params: {low: \"0\", high: \"10\"}}\n",
			name, a, interval, interval)
	}
	return s + fmt.Sprintf("outbox: {path: outbox.db}\nuplink: {broker: %q, ack_timeout: 2s, heartbeat: 1s}\nclock: {require_sync: false}\n", broker)
}

func writeConfig(t *testing.T, dir string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, "agent.yaml")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
