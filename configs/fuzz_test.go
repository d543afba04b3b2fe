package configs

import (
	"os"
	"testing"
)

// FuzzDecode feeds arbitrary files through decoding, defaults and checks
// of the agent and plan schemas: nothing may panic, every problem must be
// located in the file and worded, and whatever loads cleanly must also
// pass Validate.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"examples/dust-site.yaml", "plans/construction-dust.yaml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		goodAgent, goodPlan, "", "---\n", "- 1\n", "a: b: c\n", "x: &a {<<: *a}\n",
		"sensors: [x, {name: a, interval: fast}]\nsensors: []\n",
		"rules: [{window: 1m, effective_to: 2016-02-30}]\n",
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
		agentOK, planOK := true, true
		for _, pr := range r.problems {
			if pr.Msg == "" || pr.File != "a.yaml" && pr.File != "p.yaml" {
				t.Errorf("bad problem %#v", pr)
			}
			agentOK = agentOK && pr.File != "a.yaml"
			planOK = planOK && pr.File != "p.yaml"
		}
		if agentOK {
			if err := a.Validate(); err != nil {
				t.Errorf("agent loaded cleanly but Validate() = %v", err)
			}
		}
		if planOK {
			if err := p.Validate(); err != nil {
				t.Errorf("plan loaded cleanly but Validate() = %v", err)
			}
		}
	})
}
