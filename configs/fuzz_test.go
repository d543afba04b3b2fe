package configs

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds arbitrary files through decoding, defaults and checks
// of the agent, plan and collector schemas: nothing may panic, every
// problem must be located in the file and worded, and whatever loads
// cleanly must also pass Validate.
func FuzzDecode(f *testing.F) {
	seeds, err := filepath.Glob("plans/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range append(seeds, "examples/dust-site.yaml", "examples/collector.yaml") {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		goodAgent, goodPlan, goodCollector, "", "---\n", "- 1\n", "a: b: c\n", "x: &a {<<: *a}\n",
		"sensors: [x, {name: a, interval: fast}]\nsensors: []\n",
		"rules: [{window: 1m, effective_to: 2016-02-30}]\n",
		"rules: [{kind: period, period: 7m, allowed_per_day: 99, above: .nan, clear: 1}]\n",
		"aqi: {pollutants: {pm2_5: [[0, 0], [1, .inf]], pm10: [[1, 1]]}}\n",
		"offices: [{id: a, escalate_to: a}]\nnotify: {channels: [{type: mqtt, topic: '/#'}]}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r report
		a := new(Agent)
		if c := decode("a.yaml", data, a, &r); !c.broken {
			a.setDefaults(c)
			a.check(c)
		}
		p := new(Plan)
		if c := decode("p.yaml", data, p, &r); !c.broken {
			p.setDefaults(c)
			p.check(c)
		}
		col := new(Collector)
		if c := decode("c.yaml", data, col, &r); !c.broken {
			col.setDefaults(c)
			col.check(c)
		}
		ok := map[string]bool{"a.yaml": true, "p.yaml": true, "c.yaml": true}
		for _, pr := range r.problems {
			if _, known := ok[pr.File]; pr.Msg == "" || !known {
				t.Errorf("bad problem %#v", pr)
			}
			ok[pr.File] = false
		}
		if ok["a.yaml"] {
			if err := a.Validate(); err != nil {
				t.Errorf("agent loaded cleanly but Validate() = %v", err)
			}
		}
		if ok["p.yaml"] {
			if err := p.Validate(); err != nil {
				t.Errorf("plan loaded cleanly but Validate() = %v", err)
			}
		}
		if ok["c.yaml"] {
			if err := col.Validate(); err != nil {
				t.Errorf("collector config loaded cleanly but Validate() = %v", err)
			}
		}
	})
}

// FuzzSplit feeds arbitrary files to Split, which reads configs that
// arrive over MQTT: nothing may panic; a signature found is a line of
// the file after the body; and signing what Split returns, then splitting
// again, gives the same body back.
func FuzzSplit(f *testing.F) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	signed, _ := Sign([]byte(goodAgent), priv)
	for _, s := range []string{"", goodAgent, string(signed), string(signed) + "\n\n", string(signed) + "x: 1\n",
		sigPrefix + "ed25519 a b\n", sigPrefix + "\n" + sigPrefix, "a\r\n" + sigPrefix + "ed25519 00 AAAA\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		body, sig, err := Split(data)
		if err != nil {
			if !errors.Is(err, ErrBadSignature) {
				t.Fatalf("Split error %v is not ErrBadSignature", err)
			}
			return
		}
		if !bytes.HasPrefix(data, body) {
			t.Fatalf("body %q is not a prefix of the file", body)
		}
		if sig == nil && len(body) != len(data) {
			t.Fatalf("unsigned, but the body is %d of %d bytes", len(body), len(data))
		}
		if sig != nil && len(sig.Sig) != ed25519.SignatureSize {
			t.Fatalf("signature of %d bytes", len(sig.Sig))
		}
		re, err := Sign(body, priv)
		if err != nil {
			t.Fatalf("Sign of a split body: %v", err)
		}
		b2, s2, err := Split(re)
		if err != nil || s2 == nil || !bytes.Equal(bytes.TrimSuffix(b2, []byte("\n")), bytes.TrimSuffix(body, []byte("\n"))) {
			t.Fatalf("sign then split: %q, %v, %v; want %q", b2, s2, err, body)
		}
		if _, _, err := Verify(re, []ed25519.PublicKey{priv.Public().(ed25519.PublicKey)}); err != nil {
			t.Fatalf("Verify of a fresh signature: %v", err)
		}
	})
}
