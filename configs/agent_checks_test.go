package configs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

// everyMistake is one agent config with one of each kind of mistake an
// engineer makes. Its problems must all come back at once, in line order,
// each with its path and line.
const everyMistake = `device:
  id: "Site 1"
  colour: red
  location: {lat: 131.2, lon: 121.5}
sensors:
  - name: dust
    driver: pms5003
    serial: {port: /dev/ttyAMA0, baud: 9601}
    i2c: {bus: "1", address: 0x48}
    interval: 5
    calibration:
      pm2_5: {scale: 0, offset: 1}
      pm4: {scale: 1}
  - name: dust
    driver: ads1115level
    i2c: {bus: "1", address: 0x99}
    interval: 50ms
  - name: door
    driver: door
    pins: {input: GPIO22, horn: GPIO5}
    timeout: 10s
  - name: accel
    driver: adxl345
    i2c: {bus: "1", address: "0x53"}
  - name: gauge
    driver: ultrasonic
    serial: {port: /dev/ttyS0}
    calibration:
      water_level: {offset: 0.1}
  - driver: sps30
    i2c: {bus: "1", address: 0x69}
edge:
  alarms:
    - {name: high_water, quantity: water_level, above: 4.5, clear: 4.8}
    - {name: trapped, quantity: pm2_5, sensor: fan, below: 3}
    - {name: smog, quantity: pm2_5}
outbox:
  budget_mb: 0
uplink:
  broker: ssl://broker.example:8883
  batch_max: many
  tls: {ca_file: certs/ca.pem, cert_file: certs/dev.pem}
clock:
  sync_wait: 48h
`

func TestAgentEveryMistakeAtOnce(t *testing.T) {
	dir := write(t, map[string]string{"a.yaml": everyMistake})
	_, err := LoadAgent(filepath.Join(dir, "a.yaml"))
	want := []string{
		// bad device id
		`a.yaml: device.id (line 2): device id "Site 1" has ' ' at 4; only letters, digits, '.', '_' and '-' are allowed`,
		// unknown key
		`a.yaml: device.colour (line 3): unknown key; known keys here: id, site, district, location`,
		// bad location
		`a.yaml: device.location.lat (line 4): 131.2 is out of range; use −90 to 90 degrees north`,
		// bad serial settings
		`a.yaml: sensors[0].serial.baud (line 8): 9601 is not a standard rate such as 9600 or 115200`,
		// bus mismatch for the driver
		`a.yaml: sensors[0].i2c (line 9): not used: pms5003 is a UART sensor (serial)`,
		// bad duration (wrong type)
		`a.yaml: sensors[0].interval (line 10): want a duration such as 5s, 15m or 1h30m, got 5`,
		// calibration out of range, and of a quantity the driver lacks
		`a.yaml: sensors[0].calibration.pm2_5.scale (line 12): 0 would report pm2_5 as a constant; use a non-zero factor (1 leaves it as measured)`,
		`a.yaml: sensors[0].calibration.pm4 (line 13): pms5003 sensor "dust" does not report pm4 (it reports pm1, pm2_5, pm10)`,
		// duplicate sensor name
		`a.yaml: sensors[1].name (line 14): "dust" is already the name of sensors[0]`,
		// bad I2C address for the chip
		`a.yaml: sensors[1].i2c.address (line 16): 0x99 is not an ADS1115 address (0x48–0x4b)`,
		// duration out of range
		`a.yaml: sensors[1].interval (line 17): 50ms is out of range; use 100ms to 24h`,
		// bad pin role
		`a.yaml: sensors[2].pins.horn (line 20): door has no pin "horn" (it has input)`,
		`a.yaml: sensors[2].timeout (line 21): 10s is longer than the interval (5s)`,
		// wrong type
		`a.yaml: sensors[3].i2c.address (line 24): want a whole number, got "0x53"`,
		`a.yaml: sensors[4].calibration.water_level (line 29): ultrasonic sensor "gauge" does not report water_level (it reports distance)`,
		// missing required
		`a.yaml: sensors[5].name (line 30): required`,
		// alarms
		`a.yaml: edge.alarms[0].clear (line 34): 4.8 is above the limit 4.5; an above alarm clears at or below its limit`,
		`a.yaml: edge.alarms[1].name (line 35): event_trapped is a built-in event; choose another name`,
		`a.yaml: edge.alarms[1].sensor (line 35): "fan" is not one of the device's sensors (dust, dust, door, accel, gauge)`,
		`a.yaml: edge.alarms[2] (line 36): set above or below: the limit that raises the alarm`,
		`a.yaml: outbox.path (line 38): required`,
		// out of range
		`a.yaml: outbox.budget_mb (line 38): 0 is out of range; use 1 to 65536`,
		`a.yaml: uplink.batch_max (line 41): want a whole number, got "many"`,
		// TLS: a file missing, and half a client key pair
		`a.yaml: uplink.tls.key_file (line 42): required with cert_file: a client certificate needs its key`,
		`a.yaml: uplink.tls.ca_file (line 42): file certs/ca.pem does not exist`,
		`a.yaml: clock.sync_wait (line 44): 48h is out of range; use 0s to 24h`,
	}
	if got := problems(t, err, dir); !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestAgentExtensionsLoad(t *testing.T) {
	ca, _, _ := testCert(t, "Test CA", nil)
	dir := write(t, map[string]string{
		"site/a.yaml": `device:
  id: pump-1
  location: {lat: 31.1795, lon: 121.4470, address: "Longhua pumping station"}
sensors:
  - name: sump
    driver: ads1115level
    i2c: {bus: "1", address: 0x48}
    params: {quantity: distance, low: 0, high: 5000}
    calibration:
      distance: {offset: -12}
      loop_current: {scale: 1.002}
edge:
  alarms:
    - {name: sump_high, quantity: distance, sensor: sump, below: 800}
    - {name: sump_very_high, quantity: distance, below: 500, clear: 650}
outbox: {path: o.db}
uplink:
  broker: mqtts://10.20.0.5:8883
  tls: {ca_file: certs/ca.pem, server_name: broker.xh.example}
`,
		"site/certs/ca.pem": string(ca),
	})
	path := filepath.Join(dir, "site", "a.yaml")
	a, err := LoadAgent(path)
	if err != nil {
		t.Fatal(err)
	}
	lat, lon := 31.1795, 121.4470
	if want := (&Location{Lat: &lat, Lon: &lon, Address: "Longhua pumping station"}); !reflect.DeepEqual(a.Device.Location, want) {
		t.Errorf("location = %+v", a.Device.Location)
	}
	wantCal := map[telemetry.Quantity]Calibration{telemetry.Distance: {Scale: 1, Offset: -12}, telemetry.LoopCurrent: {Scale: 1.002}}
	if !reflect.DeepEqual(a.Sensors[0].Calibration, wantCal) {
		t.Errorf("calibration = %+v, want %+v", a.Sensors[0].Calibration, wantCal)
	}
	if got := wantCal[telemetry.Distance].Apply(1000); got != 988 {
		t.Errorf("Apply(1000) = %v, want 988", got)
	}
	b800, b500, c650 := 800.0, 500.0, 650.0
	wantAlarms := []Alarm{
		{Name: "sump_high", Quantity: telemetry.Distance, Sensor: "sump", Below: &b800, Clear: &b800},
		{Name: "sump_very_high", Quantity: telemetry.Distance, Below: &b500, Clear: &c650},
	}
	if !reflect.DeepEqual(a.Edge.Alarms, wantAlarms) {
		t.Errorf("alarms = %+v", a.Edge.Alarms)
	}
	if ev := a.Edge.Alarms[0].Event(); ev != "event_sump_high" {
		t.Errorf("Event() = %q", ev)
	}
	wantTLS := &TLS{CAFile: filepath.Join(dir, "site", "certs", "ca.pem"), ServerName: "broker.xh.example"}
	if !reflect.DeepEqual(a.Uplink.TLS, wantTLS) {
		t.Errorf("tls = %+v, want %+v", a.Uplink.TLS, wantTLS)
	}
	cfg, err := a.Uplink.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ServerName != "broker.xh.example" || cfg.RootCAs == nil || len(cfg.Certificates) != 0 {
		t.Errorf("TLSConfig = server %q, roots %v, %d certificates", cfg.ServerName, cfg.RootCAs != nil, len(cfg.Certificates))
	}
}

func TestAgentTLSChecks(t *testing.T) {
	ca, _, caSigner := testCert(t, "Test CA", nil)
	leaf, leafKey, _ := testCert(t, "dev-1", caSigner)
	_, otherKey, _ := testCert(t, "other", nil)
	files := map[string]string{
		"ca.pem": string(ca), "dev.pem": string(leaf), "dev.key": string(leafKey), "other.key": string(otherKey),
		"junk.pem": "not a certificate\n",
		"bad.pem":  "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
	}
	head := goodAgent
	tests := []struct {
		name, uplink string
		want         []string // problems; nil means valid
	}{
		{"system roots", "  broker: ssl://mqtt.example.gov.cn:8883\n", nil},
		{"client certificate", "  broker: ssl://h:8883\n  tls: {ca_file: ca.pem, cert_file: dev.pem, key_file: dev.key}\n", nil},
		{"tls on tcp", "  broker: tcp://h:1883\n  tls: {ca_file: ca.pem}\n",
			[]string{`a.yaml: uplink.tls (line 9): the broker "tcp://h:1883" does not use TLS; write it as ssl://host:8883 or mqtts://host:8883`}},
		{"not PEM", "  broker: ssl://h:8883\n  tls: {ca_file: junk.pem}\n",
			[]string{`a.yaml: uplink.tls.ca_file (line 9): junk.pem holds no PEM CERTIFICATE block`}},
		{"bad certificate", "  broker: ssl://h:8883\n  tls: {ca_file: bad.pem}\n",
			[]string{`a.yaml: uplink.tls.ca_file (line 9): bad.pem: certificate 1: x509: malformed certificate`}},
		{"directory", "  broker: ssl://h:8883\n  tls: {ca_file: .}\n",
			[]string{`a.yaml: uplink.tls.ca_file (line 9): DIR is a directory, not a file`}},
		{"wrong key", "  broker: ssl://h:8883\n  tls: {cert_file: dev.pem, key_file: other.key}\n",
			[]string{`a.yaml: uplink.tls.cert_file (line 9): dev.pem and other.key are not a certificate and its key: private key does not match public key`}},
		{"key missing", "  broker: ssl://h:8883\n  tls: {cert_file: dev.pem, key_file: nokey.pem}\n",
			[]string{`a.yaml: uplink.tls.key_file (line 9): file nokey.pem does not exist`}},
		{"cert without key", "  broker: ssl://h:8883\n  tls: {key_file: dev.key}\n",
			[]string{`a.yaml: uplink.tls.cert_file (line 9): required with key_file: a client certificate needs its key`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files["a.yaml"] = strings.Replace(head, "  broker: tcp://127.0.0.1:1883\n", tc.uplink, 1)
			dir := write(t, files)
			a, err := LoadAgent(filepath.Join(dir, "a.yaml"))
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				cfg, err := a.Uplink.TLSConfig()
				if err != nil || cfg == nil || cfg.MinVersion != 0x0303 {
					t.Fatalf("TLSConfig = %+v, %v", cfg, err)
				}
				return
			}
			got := problems(t, err, dir)
			for i := range got {
				got[i] = strings.ReplaceAll(got[i], dir, "DIR")
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestAgentSkipFiles(t *testing.T) {
	data := []byte(strings.Replace(goodAgent, "  broker: tcp://127.0.0.1:1883\n",
		"  broker: ssl://h:8883\n  tls: {ca_file: /etc/xiuhua/ca.pem}\n", 1))
	if _, err := ParseAgent("a.yaml", data); err == nil || !strings.Contains(err.Error(), "uplink.tls.ca_file (line 9): file /etc/xiuhua/ca.pem does not exist") {
		t.Fatalf("ParseAgent = %v", err)
	}
	a, err := ParseAgentWith("a.yaml", data, ParseOpts{SkipFiles: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Uplink.TLSConfig(); err == nil || !strings.HasPrefix(err.Error(), "configs: uplink.tls.ca_file: open /etc/xiuhua/ca.pem:") {
		t.Errorf("TLSConfig with the file missing = %v", err)
	}
}

func TestAgentAlarmAndLocationChecks(t *testing.T) {
	tests := []struct {
		name, extra string
		want        []string
	}{
		{"quantity no sensor reports", "edge:\n  alarms:\n    - {name: wet, quantity: water_level, above: 1}\n",
			[]string{`a.yaml: edge.alarms[0].quantity (line 13): no sensor of the device reports water_level`}},
		{"sensor lacks quantity", "edge:\n  alarms:\n    - {name: wet, quantity: pm4, sensor: dust, above: 1}\n",
			[]string{`a.yaml: edge.alarms[0].quantity (line 13): pms5003 sensor "dust" does not report pm4 (it reports pm1, pm2_5, pm10)`}},
		{"event quantity", "edge:\n  alarms:\n    - {name: wet, quantity: event_trapped, above: 0}\n",
			[]string{`a.yaml: edge.alarms[0].quantity (line 13): "event_trapped" is not a measured quantity; use one of ` + measuredList()}},
		{"derived needs the elevator", "edge:\n  alarms:\n    - {name: fast, quantity: speed, above: 2}\n",
			[]string{`a.yaml: edge.alarms[0].quantity (line 13): no sensor of the device reports speed`}},
		{"derived with the elevator", "edge:\n  elevator: {}\n  alarms:\n    - {name: fast, quantity: speed, above: 2}\n", nil},
		{"both limits and a bad name", "edge:\n  alarms:\n    - {name: Dust-High, quantity: pm2_5, above: 75, below: 5}\n",
			[]string{
				`a.yaml: edge.alarms[0].name (line 13): "Dust-High" is not a valid alarm name; use 1 to 32 lower-case letters, digits or '_'`,
				`a.yaml: edge.alarms[0].below (line 13): set above or below, not both; use two alarms for a band`,
			}},
		{"below clears above", "edge:\n  alarms:\n    - {name: low, quantity: pm2_5, below: 5, clear: 4}\n    - {name: low, quantity: pm10, below: .nan}\n",
			[]string{
				`a.yaml: edge.alarms[0].clear (line 13): 4 is below the limit 5; a below alarm clears at or above its limit`,
				`a.yaml: edge.alarms[1].name (line 14): "low" is already the name of edge.alarms[0]`,
				`a.yaml: edge.alarms[1].below (line 14): NaN is not a finite number`,
			}},
		{"location without lon", "  location: {lat: 31.2, address: somewhere}\n",
			[]string{`a.yaml: device.location.lon (line 10): required: degrees east in WGS-84`}},
		{"location out of range", "  location: {lat: -90.5, lon: 181}\n",
			[]string{
				`a.yaml: device.location.lat (line 10): -90.5 is out of range; use −90 to 90 degrees north`,
				`a.yaml: device.location.lon (line 10): 181 is out of range; use −180 to 180 degrees east`,
			}},
		{"location as text", "  location: Longhua\n",
			[]string{`a.yaml: device.location (line 10): want a mapping of keys to values, got "Longhua"`}},
		{"calibration of unknown quantity", "    calibration: {pm25: {scale: 2}}\n",
			[]string{`a.yaml: sensors[0].calibration.pm25 (line 7): "pm25" is not a measured quantity; use one of ` + measuredList()}},
		{"calibration key typo", "    calibration: {pm2_5: {slope: 2}}\n",
			[]string{`a.yaml: sensors[0].calibration.pm2_5.slope (line 7): unknown key; known keys here: scale, offset`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := write(t, map[string]string{"a.yaml": alarmCase(tc.extra)})
			_, err := LoadAgent(filepath.Join(dir, "a.yaml"))
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if got := problems(t, err, dir); !slices.Equal(got, tc.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// alarmCase is a valid agent config with extra added where it belongs:
// a sensor's key (line 7), a device key (line 10) or top-level keys (from
// line 11, so that an edge.alarms item is on line 13).
func alarmCase(extra string) string {
	sensorLine, deviceLine, tail := "    # no calibration\n", "  # no location\n", ""
	switch {
	case strings.HasPrefix(extra, "    "):
		sensorLine = extra
	case strings.HasPrefix(extra, "  "):
		deviceLine = extra
	default:
		tail = extra
	}
	return `outbox: {path: /o.db}
uplink: {broker: "tcp://127.0.0.1:1883"}
sensors:
  - name: dust
    driver: pms5003
    serial: {port: /dev/ttyAMA0}
` + sensorLine + `device:
  id: site-xh-001
` + deviceLine + tail
}

// signer is the CA that signs a test certificate.
type signer struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// testCert makes a P-256 certificate for name, valid for an hour, signed by
// by (self-signed, as a CA, when by is nil), and returns it and its key as
// PEM, and the parsed certificate with its key for signing others.
func testCert(t *testing.T, name string, by *signer) (certPEM, keyPEM []byte, s *signer) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	parent, signKey := tmpl, key
	if by == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	} else {
		parent, signKey = by.cert, by.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), &signer{cert, key}
}
