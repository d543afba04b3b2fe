package demo

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/simulator/scenario"
)

// TestCompressedFloodPlan checks the flood plan the demo judges its ×60
// river by: every duration divided by 60, not below the schema's least,
// the levels as shipped.
func TestCompressedFloodPlan(t *testing.T) {
	data, err := fs.ReadFile(configs.Plans, "plans/"+floodPlan)
	if err != nil {
		t.Fatal(err)
	}
	out, err := compressPlan(data, 60)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), floodPlan)
	if err := os.WriteFile(p, out, 0o600); err != nil {
		t.Fatal(err)
	}
	plan, err := configs.LoadPlan(p)
	if err != nil {
		t.Fatalf("the compressed plan does not load: %v\n%s", err, out)
	}
	type durations struct{ For, ClearFor, Window, Per, After time.Duration }
	want := map[string]durations{
		"river-gauge-1-warning":    {For: 2 * time.Second, ClearFor: 10 * time.Second},
		"river-gauge-1-guaranteed": {For: time.Second, ClearFor: 10 * time.Second},
		"rapid-rise":               {Window: time.Minute, Per: time.Minute}, // 30m/60 is under the 1m least
		"level-gauge-silent":       {After: time.Minute},                    // 10m/60 likewise
		"level-gauge-stuck":        {For: 6 * time.Minute},
		"level-impossible":         {},
		"loop-broken":              {},
	}
	if len(plan.Rules) != len(want) {
		t.Fatalf("%d rules, want %d", len(plan.Rules), len(want))
	}
	for _, r := range plan.Rules {
		got := durations{r.For.D(), r.ClearFor.D(), r.Window.D(), r.Per.D(), r.After.D()}
		if r.Kind != configs.Rate {
			got.Per = 0
		}
		if w, ok := want[r.ID]; !ok || got != w {
			t.Errorf("rule %s: %+v, want %+v", r.ID, got, w)
		}
	}
	if r := plan.Rules[0]; r.ID != "river-gauge-1-warning" || *r.Above != 4.8 || *r.Clear != 4.7 {
		t.Errorf("warning rule %+v: want the shipped 4.80 m, clearing at 4.70", r)
	}
	if plan.ID != "huangpu-flood" || !strings.HasSuffix(plan.Title, " — durations compressed 60× for the demo") {
		t.Errorf("plan %q, title %q", plan.ID, plan.Title)
	}
	if _, err := compressPlan([]byte("id: x\nrules:\n  - {id: a, kind: period, period: 15m}\n"), 60); err == nil ||
		err.Error() != "compress plan: rules[0] is a period rule: calendar periods cannot be compressed" {
		t.Errorf("a period rule: %v", err)
	}
}

// TestConfigs writes every board's agent config and the collector's
// config as the demo does and loads them with the binaries' loaders.
func TestConfigs(t *testing.T) {
	dir := t.TempDir()
	scens, err := Boards(5)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range scens {
		ids = append(ids, s.ID)
	}
	if got := strings.Join(ids, " "); got != "site-xh-001 site-xh-002 site-xh-003 site-xh-004 site-xh-005 river-gauge-1 lift-xh-0412" {
		t.Fatalf("boards %s", got)
	}
	for _, s := range scens {
		rig, err := scenario.Mount(s, board.New(), nil)
		if err != nil {
			t.Skipf("cannot mount (no pseudo-terminals here?): %v", err)
		}
		t.Cleanup(func() { rig.Close() })
		path := filepath.Join(dir, s.ID+".yaml")
		if err := os.WriteFile(path, []byte(agentYAML(s, rig.Specs(), dir, "tcp://127.0.0.1:1883")), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := configs.LoadAgent(path)
		if err != nil {
			t.Fatalf("%s: %v", s.ID, err)
		}
		if len(cfg.Sensors) != len(rig.Specs()) || cfg.Device.ID != s.ID {
			t.Errorf("%s: %+v", s.ID, cfg)
		}
		for i, sp := range rig.Specs() {
			c := cfg.Sensors[i]
			if c.Name != sp.Name || c.Driver != sp.Driver || c.Serial.Port != sp.Serial.Port || uint16(c.I2C.Address) != sp.I2C.Addr ||
				c.Interval.D() != sp.Interval || len(c.Params) != len(sp.Params) {
				t.Errorf("%s sensor %d: config %+v, spec %+v", s.ID, i, c, sp)
			}
		}
		if e := cfg.Edge.Elevator; (e != nil) != (s.Kind == scenario.KindElevator) || e != nil && (e.TrappedAfter.D() != 20*time.Second || e.StoreyM != 3) {
			t.Errorf("%s: edge %+v", s.ID, e)
		}
	}

	cfg, err := writeCollectorConfig(dir, "tcp://127.0.0.1:1883", "127.0.0.1:0", "http://127.0.0.1:9/alerts", 60, "river-gauge-1", "lift-xh-0412")
	if err != nil {
		t.Fatal(err)
	}
	var plans, routes []string
	for _, p := range cfg.Plans {
		plans = append(plans, p.ID)
	}
	for _, r := range cfg.Routes {
		routes = append(routes, r.Category+"→"+r.Office)
	}
	if got := strings.Join(plans, " "); got != "shanghai-construction-dust huangpu-flood elevator-safety" {
		t.Errorf("plans %s", got)
	}
	if got := strings.Join(routes, " "); got != "dust→city-operations-centre water→river-chief-office elevator→elevator-safety-office" {
		t.Errorf("routes %s", got)
	}
	for _, o := range cfg.Offices {
		if len(o.Contacts) == 0 {
			t.Errorf("office %s has no duty contact", o.ID)
		}
	}
	if s := cfg.Sites[0]; s.ID != "river-gauge-1" || len(s.Devices) != 1 || s.Devices[0] != "river-gauge-1" {
		t.Errorf("river site %+v: the flood plan's rules are scoped to site river-gauge-1", s)
	}
	if cfg.Plans[1].Rules[0].For.D() != 2*time.Second {
		t.Errorf("the collector loaded the flood plan uncompressed: %+v", cfg.Plans[1].Rules[0])
	}
}
