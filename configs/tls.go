package configs

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
)

// TLS is how the agent checks the broker, and proves itself to it, over
// ssl:// or mqtts://. Without it such a broker is checked against the
// system's root certificates under the broker URL's host name. Files are
// PEM, relative to the config file's directory, and must exist and parse
// when the config is loaded: a device must not accept a config it cannot
// connect with.
type TLS struct {
	// CAFile holds the certificates that may sign the broker's: a private
	// CA's, typically. Default: the system's roots.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are the device's client certificate and its
	// private key, for brokers that require one; both or neither.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName is the name the broker's certificate must carry, when it
	// differs from the broker URL's host (a broker reached by IP address).
	// Default: the host.
	ServerName string `yaml:"server_name"`
}

// isTLS reports whether a broker URL asks for TLS.
func isTLS(broker string) bool {
	u, err := url.Parse(broker)
	return err == nil && (u.Scheme == "ssl" || u.Scheme == "mqtts")
}

// TLSConfig is the TLS configuration of the uplink's broker connection:
// nil for a tcp:// or mqtt:// broker; for ssl:// and mqtts:// the files of
// TLS loaded, or the system's roots without TLS. Its errors name the file.
func (u Uplink) TLSConfig() (*tls.Config, error) {
	if !isTLS(u.Broker) {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	t := u.TLS
	if t == nil {
		return cfg, nil
	}
	cfg.ServerName = t.ServerName
	if t.CAFile != "" {
		pool, err := loadCAs(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("configs: uplink.tls.ca_file: %w", err)
		}
		cfg.RootCAs = pool
	}
	if t.CertFile != "" || t.KeyFile != "" {
		pair, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("configs: uplink.tls: client certificate %s and key %s: %w", t.CertFile, t.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// loadCAs reads a PEM file of certificates into a pool. Unlike
// x509.CertPool.AppendCertsFromPEM it fails on a block that does not parse
// instead of skipping it.
func loadCAs(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	n := 0
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		n++
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: certificate %d: %w", path, n, err)
		}
		pool.AddCert(cert)
	}
	if n == 0 {
		return nil, fmt.Errorf("%s holds no PEM CERTIFICATE block", path)
	}
	return pool, nil
}

func (u *Uplink) resolveTLS(configFile string) {
	if t := u.TLS; t != nil {
		t.CAFile = resolve(configFile, t.CAFile)
		t.CertFile = resolve(configFile, t.CertFile)
		t.KeyFile = resolve(configFile, t.KeyFile)
	}
}

func (u Uplink) checkTLS(c *checker) {
	t := u.TLS
	if t == nil {
		return
	}
	const p = "uplink.tls"
	if u.Broker != "" && !isTLS(u.Broker) && !c.spoiled("uplink.broker") {
		c.add(p, "the broker %q does not use TLS; write it as ssl://host:8883 or mqtts://host:8883", u.Broker)
		return
	}
	pair := true
	if (t.CertFile == "") != (t.KeyFile == "") {
		missing, with := "key_file", "cert_file"
		if t.CertFile == "" {
			missing, with = with, missing
		}
		c.add(key(p, missing), "required with %s: a client certificate needs its key", with)
		pair = false
	}
	if c.r.skipFiles {
		return
	}
	if t.CAFile != "" && c.fileExists(key(p, "ca_file"), t.CAFile) {
		if _, err := loadCAs(t.CAFile); err != nil {
			c.add(key(p, "ca_file"), "%v", err)
		}
	}
	if pair && t.CertFile != "" && c.fileExists(key(p, "cert_file"), t.CertFile) && c.fileExists(key(p, "key_file"), t.KeyFile) {
		if _, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile); err != nil {
			c.add(key(p, "cert_file"), "%s and %s are not a certificate and its key: %s", t.CertFile, t.KeyFile, strings.TrimPrefix(err.Error(), "tls: "))
		}
	}
}

// fileExists reports at path when the file f cannot be read.
func (c *checker) fileExists(path, f string) bool {
	st, err := os.Stat(f)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.add(path, "file %s does not exist", f)
	case err != nil:
		c.add(path, "cannot read %s: %v", f, err)
	case st.IsDir():
		c.add(path, "%s is a directory, not a file", f)
	default:
		return true
	}
	return false
}
