package configs

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadCollector(t *testing.T) {
	path := filepath.Join("examples", "collector.yaml")
	c, err := LoadCollector(path)
	if err != nil {
		t.Fatal(err)
	}
	plan := filepath.Join("plans", "construction-dust.yaml")
	if len(c.PlanFiles) != 1 || c.PlanFiles[0] != plan {
		t.Errorf("PlanFiles = %v, want [%s]", c.PlanFiles, plan)
	}
	if len(c.Plans) != 1 || c.Plans[0].ID != "shanghai-construction-dust" {
		t.Errorf("Plans = %+v", c.Plans)
	}
	w := c.Notify.Webhooks
	if c.MQTT.Broker != "tcp://127.0.0.1:1883" || c.HTTP.Listen != "127.0.0.1:8080" ||
		len(c.Offices) != 1 || c.Offices[0].ID != "city-operations-centre" ||
		len(w) != 1 || w[0].Timeout.D() != 5*time.Second || !slices.Equal(w[0].Offices, []string{"city-operations-centre"}) {
		t.Errorf("unexpected collector config: %+v", c)
	}
}

func TestLoadCollectorDefaults(t *testing.T) {
	// A key set twice at the top spoils the whole file: nothing else is
	// checked until it is fixed.
	dir := write(t, map[string]string{
		"c.yaml": goodCollector + "notify: {webhooks: [{name: a, url: 'https://h/x'}]}\noffices: [{id: city-operations-centre}]\n",
	})
	_, err := LoadCollector(filepath.Join(dir, "c.yaml"))
	want := []string{"c.yaml: offices (line 7): key is set twice (first at line 4)"}
	if got := problems(t, err, dir); !slices.Equal(got, want) {
		t.Fatalf("problems: %v, want %v", got, want)
	}

	dir = write(t, map[string]string{
		"etc/c.yaml":          strings.Replace(goodCollector, "{id: city-operations-centre, name: City operations centre}", "{id: city-operations-centre}", 1) + "notify: {webhooks: [{name: a, url: 'https://h/x'}]}\n",
		"etc/plans/dust.yaml": goodPlan,
	})
	c, err := LoadCollector(filepath.Join(dir, "etc", "c.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if c.MQTT.ClientID != "xiuhua-collector" || c.HTTP.Listen != "127.0.0.1:8080" ||
		c.Store.Path != filepath.Join(dir, "etc", "collector.db") ||
		c.PlanFiles[0] != filepath.Join(dir, "etc", "plans", "dust.yaml") ||
		c.Offices[0].Name != "city-operations-centre" || c.Notify.Webhooks[0].Timeout.D() != 5*time.Second {
		t.Errorf("defaults not applied: %+v", c)
	}
}

// TestSpoiledOffices checks that when the offices list could not be
// decoded, the rules and webhooks naming offices are not all reported as
// naming undeclared ones.
func TestSpoiledOffices(t *testing.T) {
	dir := write(t, map[string]string{
		"c.yaml": strings.Replace(goodCollector, "name: City operations centre", "id: again", 1) +
			"notify: {webhooks: [{name: a, url: 'https://h/x', offices: [city-operations-centre]}]}\n",
		"plans/dust.yaml": goodPlan,
	})
	_, err := LoadCollector(filepath.Join(dir, "c.yaml"))
	want := []string{"c.yaml: offices[0].id (line 5): key is set twice (first at line 5)"}
	if got := problems(t, err, dir); !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCollectorValidate(t *testing.T) {
	c := &Collector{
		MQTT:      MQTT{Broker: "mqtts://broker:8883", ClientID: "c"},
		Store:     Store{Path: "/s.db"},
		HTTP:      HTTP{Listen: ":8080"},
		PlanFiles: []string{"dust.yaml"},
		Offices:   []Office{{ID: "roads", Name: "Roads"}},
		Plans: []*Plan{{ID: "p", Title: "t", Rules: []Rule{{
			ID: "r", Title: "t", Quantity: "pm10", Window: Duration(time.Hour),
			Aggregate: Mean, Above: 150, ClearBelow: 120, MinSamples: 1, Office: "parks", Severity: Info,
		}}}},
	}
	got := c.Validate().Error()
	want := `dust.yaml: rules[0].office: "parks" is not an office declared in the collector config`
	if got != want {
		t.Errorf("Validate() = %q, want %q", got, want)
	}
}
