package uplink

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/internal/mosquitto"
	"github.com/xiuhua/xiuhua/telemetry"
)

// TestTLSThroughMosquitto runs a private Mosquitto whose only listener is
// TLS with a certificate made here, and requires a client certificate. An
// agent config naming the CA and the device's certificate connects and
// delivers; one naming another CA does not, and says why.
func TestTLSThroughMosquitto(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "Xiuhua test CA")
	other := newCA(t, "Someone else's CA")
	writeFile(t, dir, "ca.pem", ca.certPEM)
	writeFile(t, dir, "other-ca.pem", other.certPEM)
	srvCert, srvKey := ca.issue(t, "broker.test", true)
	writeFile(t, dir, "server.pem", srvCert)
	writeFile(t, dir, "server.key", srvKey)
	devCert, devKey := ca.issue(t, dev, false)
	writeFile(t, dir, "dev.pem", devCert)
	writeFile(t, dir, "dev.key", devKey)
	broker := mosquitto.StartTest(t, mosquitto.Opts{Dir: dir, TLS: &mosquitto.TLS{CAFile: filepath.Join(dir, "ca.pem"),
		CertFile: filepath.Join(dir, "server.pem"), KeyFile: filepath.Join(dir, "server.key"), RequireCertificate: true}}).URL()

	// A subscriber with the device's own credentials sees what arrives.
	got := make(chan telemetry.Batch, 16)
	sub := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker).SetClientID("tls-test-sub").
		SetTLSConfig(tlsConfig(t, dir, "ca.pem", "broker.test")).SetConnectTimeout(5 * time.Second))
	if tok := sub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber connect: %v", tok.Error())
	}
	defer sub.Disconnect(100)
	if tok := sub.Subscribe(telemetry.UpTopic(dev), 1, func(_ mqtt.Client, m mqtt.Message) {
		if b, err := telemetry.DecodeBatch(m.Payload()); err == nil {
			got <- b
		}
	}); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}

	t.Run("trusted CA", func(t *testing.T) {
		u := agentUplink(t, dir, broker, "ca.pem")
		ob := openOutbox(t, 1)
		stop := runUplink(t, u, ob)
		defer stop()
		select {
		case b := <-got:
			if len(b.Records) != 1 || b.Records[0].Seq != 1 || b.Records[0].Value != 1 || b.Device != dev {
				t.Fatalf("batch = %+v, want seq 1 of %s with value 1", b, dev)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("no batch through TLS; uplink stats %+v", u.Stats())
		}
		if st := u.Stats(); !st.Connected || st.ConnectErr != "" {
			t.Errorf("stats = %+v, want connected without an error", st)
		}
	})

	t.Run("wrong CA", func(t *testing.T) {
		u := agentUplink(t, dir, broker, "other-ca.pem")
		stop := runUplink(t, u, openOutbox(t, 1))
		defer stop()
		want := "uplink: connect to " + broker + ": the broker's certificate is not signed by a CA this device trusts" +
			" (check uplink.tls.ca_file): tls: failed to verify certificate: x509: certificate signed by unknown authority"
		deadline := time.Now().Add(20 * time.Second)
		for u.Stats().ConnectErr == "" && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if st := u.Stats(); st.ConnectErr != want || st.Connected {
			t.Fatalf("stats = %+v\nwant ConnectErr %q", st, want)
		}
	})
}

// agentUplink builds an uplink as the agent does: from a config whose
// uplink.tls names the files in dir, through configs.Uplink.TLSConfig.
func agentUplink(t *testing.T, dir, broker, caFile string) *Uplink {
	t.Helper()
	cfgFile := filepath.Join(dir, "agent-"+caFile+".yaml")
	data := fmt.Sprintf(`device: {id: %s}
sensors: [{name: dust, driver: pms5003, serial: {port: /dev/null}}]
outbox: {path: outbox.db}
uplink:
  broker: %s
  tls: {ca_file: %s, cert_file: dev.pem, key_file: dev.key, server_name: broker.test}
`, dev, broker, caFile)
	a, err := configs.ParseAgent(cfgFile, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	tlsc, err := a.Uplink.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	u, err := New(dev, nil, Opts{Broker: a.Uplink.Broker, ClientID: "tls-test-" + strings.TrimSuffix(caFile, ".pem"),
		TLS: tlsc, ConnectRetry: 200 * time.Millisecond, AckTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func runUplink(t *testing.T, u *Uplink, ob Outbox) (stop func()) {
	t.Helper()
	u.ob = ob
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

func tlsConfig(t *testing.T, dir, caFile, serverName string) *tls.Config {
	t.Helper()
	a, err := configs.ParseAgent(filepath.Join(dir, "sub.yaml"), []byte(fmt.Sprintf(`device: {id: sub}
sensors: [{name: x, driver: custom}]
outbox: {path: o.db}
uplink: {broker: "ssl://h:8883", tls: {ca_file: %s, cert_file: dev.pem, key_file: dev.key, server_name: %s}}
`, caFile, serverName)))
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.Uplink.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type testCA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
}

func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	key := newKey(t)
	tmpl := certTemplate(name)
	tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue makes a certificate for name, a server's (with 127.0.0.1 as well)
// or a client's, signed by the CA.
func (ca *testCA) issue(t *testing.T, name string, server bool) (certPEM, keyPEM []byte) {
	t.Helper()
	key := newKey(t)
	tmpl := certTemplate(name)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	if server {
		tmpl.DNSNames = []string{name}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func certTemplate(name string) *x509.Certificate {
	now := time.Now()
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour)}
}

func writeFile(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
		t.Fatal(err)
	}
}
