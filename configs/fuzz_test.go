package configs

import (
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
