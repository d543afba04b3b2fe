package configs

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

func TestLoadPlanDefaults(t *testing.T) {
	dir := write(t, map[string]string{"p.yaml": goodPlan + `  - id: water
    title: Water level
    quantity: water_level
    window: 1h
    above: 4.5
    clear_below: 0
    min_samples: 12
    office: river-chief-office
    severity: critical
effective_from: 2016-08-01
effective_to: 2030-01-01
`})
	p, err := LoadPlan(filepath.Join(dir, "p.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := &Plan{
		ID: "dust", Title: "Dust",
		EffectiveFrom: Date{2016, time.August, 1}, EffectiveTo: Date{2030, time.January, 1},
		Rules: []Rule{{
			ID: "pm25-15min-avg", Title: "PM2.5 above the limit", Quantity: telemetry.PM2_5,
			Window: Duration(15 * time.Minute), Aggregate: Mean, Above: 75, ClearBelow: 75, MinSamples: 1,
			Office: "city-operations-centre", Severity: Warning,
		}, {
			ID: "water", Title: "Water level", Quantity: telemetry.WaterLevel,
			Window: Duration(time.Hour), Aggregate: Mean, Above: 4.5, ClearBelow: 0, MinSamples: 12,
			Office: "river-chief-office", Severity: Critical,
		}},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got  %+v\nwant %+v", p, want)
	}
}

func TestPlanValidate(t *testing.T) {
	p := &Plan{ID: "p", Title: "t", Rules: []Rule{{
		ID: "r", Title: "t", Quantity: telemetry.PM10, Window: Duration(time.Hour),
		Aggregate: Mean, Above: 150, ClearBelow: 120, MinSamples: 1, Office: "o", Severity: Info,
	}}}
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	p.Rules[0].Severity = ""
	p.Rules[0].Window = 0
	got := p.Validate().Error()
	want := "rules[0].window: 0s is out of range; use 1m to 24h\n" +
		`rules[0].severity: "" is not a severity; use info, warning or critical`
	if got != want {
		t.Errorf("Validate() =\n%s\nwant\n%s", got, want)
	}
}

// TestSamplePlan pins the sample plan's rule, which the demo relies on.
func TestSamplePlan(t *testing.T) {
	p, err := LoadPlan(filepath.Join("plans", "construction-dust.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r := p.Rules[0]
	if p.ID != "shanghai-construction-dust" || len(p.Rules) != 1 || r.ID != "pm25-15min-avg" ||
		r.Quantity != telemetry.PM2_5 || r.Window.D() != 15*time.Minute || r.Above != 75 ||
		r.ClearBelow != 60 || r.MinSamples != 3 || r.Office != "city-operations-centre" ||
		!strings.Contains(p.Title, "DB31/964-2016") {
		t.Errorf("unexpected sample plan: %+v", p)
	}
}
