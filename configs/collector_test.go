package configs

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestLoadCollectorDefaults pins the defaults of the collector config and
// checks that relative paths are resolved against the config's directory.
func TestLoadCollectorDefaults(t *testing.T) {
	// A key set twice at the top spoils the whole file: nothing else is
	// checked until it is fixed.
	dir := write(t, map[string]string{
		"c.yaml": goodCollector + "notify: {channels: [{name: a, url: 'https://h/x'}]}\noffices: [{id: city-operations-centre}]\n",
	})
	_, err := LoadCollector(filepath.Join(dir, "c.yaml"))
	want := []string{"c.yaml: offices (line 7): key is set twice (first at line 4)"}
	if got := problems(t, err, dir); !slices.Equal(got, want) {
		t.Fatalf("problems: %v, want %v", got, want)
	}

	dir = write(t, map[string]string{
		"etc/c.yaml": `mqtt: {broker: tcp://127.0.0.1:1883}
store: {path: collector.db}
plans: [plans/dust.yaml]
sites: [{id: cs-1, district: xuhui, devices: [dust-1]}]
offices: [{id: city-operations-centre}]
notify: {channels: [{name: a, url: 'https://h/x'}, {name: b, type: mqtt, timeout: 1s}]}
`,
		"etc/plans/dust.yaml": goodPlan,
	})
	c, err := LoadCollector(filepath.Join(dir, "etc", "c.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Plans) != 1 || c.Plans[0].ID != "dust" {
		t.Errorf("Plans = %+v", c.Plans)
	}
	c.Plans = nil
	wantCol := &Collector{
		MQTT:      MQTT{Broker: "tcp://127.0.0.1:1883", ClientID: "xiuhua-collector"},
		Store:     Store{Backend: BackendBolt, Path: filepath.Join(dir, "etc", "collector.db")},
		HTTP:      HTTP{Listen: "127.0.0.1:8080"},
		PlanFiles: []string{filepath.Join(dir, "etc", "plans", "dust.yaml")},
		Sites:     []Site{{ID: "cs-1", Name: "cs-1", District: "xuhui", Devices: []string{"dust-1"}}},
		Offices:   []Office{{ID: "city-operations-centre", Name: "city-operations-centre"}},
		Alerts:    Alerts{FlapOpens: 3, FlapWindow: Duration(time.Hour)},
		Notify: Notify{Channels: []Channel{
			{Name: "a", Type: ChannelWebhook, URL: "https://h/x", Timeout: Duration(5 * time.Second)},
			{Name: "b", Type: ChannelMQTT, Timeout: Duration(time.Second)},
		}},
	}
	if !reflect.DeepEqual(c, wantCol) {
		t.Errorf("got  %+v\nwant %+v", c, wantCol)
	}
}

// TestSpoiled checks that when a list could not be decoded, what is
// missing from it is not reported as well: the rules and channels naming
// offices, the rules that need a route, the offices a channel carries.
func TestSpoiled(t *testing.T) {
	tests := []struct {
		name   string
		config string
		plan   string
		want   []string
	}{{
		name: "offices",
		config: strings.Replace(goodCollector, "name: City operations centre", "id: again", 1) +
			"notify: {channels: [{name: a, url: 'https://h/x', offices: [city-operations-centre]}]}\n",
		plan: goodPlan,
		want: []string{"c.yaml: offices[0].id (line 5): key is set twice (first at line 5)"},
	}, {
		name:   "an office's id",
		config: goodCollector + "  - {id: [flood-command]}\nroutes: [{category: water, office: flood-command}]\n",
		plan:   "id: p\ntitle: P\nrules: [{id: level, title: L, quantity: water_level, above: 5}]\n",
		want:   []string{"c.yaml: offices[1].id (line 6): want a string, got a list"},
	}, {
		name:   "routes",
		config: goodCollector + "routes: [water]\n",
		plan:   "id: p\ntitle: P\nrules: [{id: level, title: L, quantity: water_level, above: 5}]\n",
		want:   []string{`c.yaml: routes[0] (line 6): want a mapping of keys to values, got "water"`},
	}, {
		name: "a channel's offices",
		config: goodCollector + `  - {id: flood-command}
notify:
  channels:
    - name: a
      url: https://h/x
      offices:
        - flood-command
        - [x]
`,
		plan: goodPlan,
		want: []string{"c.yaml: notify.channels[0].offices[1] (line 13): want a string, got a list"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := write(t, map[string]string{"c.yaml": tt.config, "plans/dust.yaml": tt.plan})
			_, err := LoadCollector(filepath.Join(dir, "c.yaml"))
			if got := problems(t, err, dir); !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestCollectorValidate(t *testing.T) {
	c := &Collector{
		MQTT:      MQTT{Broker: "mqtts://broker:8883", ClientID: "c"},
		Store:     Store{Backend: BackendBolt, Path: "/s.db"},
		HTTP:      HTTP{Listen: ":8080"},
		PlanFiles: []string{"dust.yaml"},
		Offices:   []Office{{ID: "roads", Name: "Roads"}},
		Routes:    []Route{{Category: CategoryDust, Office: "roads"}},
		Alerts:    Alerts{FlapOpens: 3, FlapWindow: Duration(time.Hour)},
		Notify:    Notify{Channels: []Channel{{Name: "n", Type: ChannelMQTT, Timeout: Duration(time.Second)}}},
		Plans: []*Plan{{ID: "p", Title: "t", Kind: KindStandard, Rules: []Rule{{
			ID: "r", Title: "t", Kind: Window, Quantity: "pm10", Category: CategoryDust, Window: Duration(time.Hour),
			Aggregate: Mean, Above: ptr(150), Clear: ptr(120), MinSamples: 1, Office: "parks", Severity: Info,
		}, {
			ID: "s", Title: "t", Kind: Threshold, Quantity: "pm10", Category: CategoryDust,
			Above: ptr(300), Clear: ptr(300), MinSamples: 1, Severity: Critical,
		}}}},
	}
	got := c.Validate().Error()
	want := `dust.yaml: rules[0].office: "parks" is not an office declared in the collector config`
	if got != want {
		t.Errorf("Validate() = %q, want %q", got, want)
	}
	c.Plans[0].Rules[0].Office = ""
	if err := c.Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
	// A plan not loaded (nil) is skipped, not a panic.
	c.PlanFiles, c.Plans = append(c.PlanFiles, "gone.yaml"), append(c.Plans, nil)
	if err := c.Validate(); err != nil {
		t.Errorf("Validate() with a nil plan = %v", err)
	}
}

// TestRoute checks how alerts find their office: the first route whose
// category and scope match, and none when no route's scope matches (the
// loader refuses a config where a rule without an office meets that).
func TestRoute(t *testing.T) {
	col := &Collector{
		Sites: []Site{
			{ID: "gauge-1", District: "xuhui", Devices: []string{"g1"}},
			{ID: "gauge-2", District: "xuhui", Devices: []string{"g2"}},
			{ID: "bund", District: "huangpu", Devices: []string{"b1"}},
			{ID: "cs-1", District: "xuhui", Tags: []string{"general-area", "key-area"}, Devices: []string{"d1"}},
			{ID: "cs-2", District: "xuhui", Tags: []string{"general-area"}, Devices: []string{"d2"}},
		},
		Routes: []Route{
			{Category: CategoryWater, Scope: Scope{Districts: []string{"huangpu"}}, Office: "huangpu-rivers"},
			{Category: CategoryWater, Scope: Scope{Sites: []string{"gauge-2"}}, Office: "gauge-2-office"},
			{Category: CategoryWater, Office: "river-chief-office"},
			{Category: CategoryDust, Scope: Scope{Tags: []string{"key-area"}}, Office: "key-areas"},
			{Category: CategoryDust, Scope: Scope{Devices: []string{"d9"}}, Office: "d9-office"},
		},
	}
	tests := []struct {
		category, device, want string
		ok                     bool
	}{
		{CategoryWater, "b1", "huangpu-rivers", true},
		{CategoryWater, "g2", "gauge-2-office", true},
		{CategoryWater, "g1", "river-chief-office", true},
		{CategoryWater, "unlisted", "river-chief-office", true},
		{CategoryDust, "d1", "key-areas", true},
		{CategoryDust, "d9", "d9-office", true},
		{CategoryDust, "d2", "", false}, // no dust route's scope matches: no office, never another's
		{CategoryAir, "d1", "", false},
	}
	for _, tt := range tests {
		got, ok := col.Route(tt.category, col.Where(tt.device))
		if got != tt.want || ok != tt.ok {
			t.Errorf("Route(%s, %s) = %q, %v; want %q, %v", tt.category, tt.device, got, ok, tt.want, tt.ok)
		}
	}
}

func TestWhereAndCovers(t *testing.T) {
	col := &Collector{Sites: []Site{
		{ID: "cs-1", District: "xuhui", Tags: []string{"general-area"}, Devices: []string{"d1", "d2"}},
		{ID: "cs-2", District: "minhang", Tags: []string{"key-area", "night-works"}, Devices: []string{"d3"}},
	}}
	if got, want := col.Where("d2"), (Where{Device: "d2", Site: "cs-1", District: "xuhui", Tags: []string{"general-area"}}); !reflect.DeepEqual(got, want) {
		t.Errorf("Where(d2) = %+v, want %+v", got, want)
	}
	if got := col.Where("nowhere"); !reflect.DeepEqual(got, Where{Device: "nowhere"}) {
		t.Errorf("Where(nowhere) = %+v, want only the device", got)
	}
	tests := []struct {
		name  string
		scope Scope
		want  []string // of d1, d2, d3, unlisted: the devices covered
	}{
		{"empty scope covers every device", Scope{}, []string{"d1", "d2", "d3", "unlisted"}},
		{"devices", Scope{Devices: []string{"d2", "unlisted"}}, []string{"d2", "unlisted"}},
		{"sites", Scope{Sites: []string{"cs-2", "cs-9"}}, []string{"d3"}},
		{"districts", Scope{Districts: []string{"xuhui"}}, []string{"d1", "d2"}},
		{"tags: any one of them", Scope{Tags: []string{"night-works", "general-area"}}, []string{"d1", "d2", "d3"}},
		{"fields combine with and", Scope{Districts: []string{"xuhui"}, Devices: []string{"d1", "d3"}}, []string{"d1"}},
		{"tags and district", Scope{Districts: []string{"xuhui"}, Tags: []string{"key-area"}}, nil},
	}
	for _, tt := range tests {
		var got []string
		for _, d := range []string{"d1", "d2", "d3", "unlisted"} {
			if tt.scope.Covers(col.Where(d)) {
				got = append(got, d)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: covers %v, want %v", tt.name, got, tt.want)
		}
		if tt.scope.IsZero() != (tt.name == "empty scope covers every device") {
			t.Errorf("%s: IsZero() = %v", tt.name, tt.scope.IsZero())
		}
	}
}
