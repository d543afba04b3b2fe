package configs

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// waterPlan has one water rule that names no office: its alerts go where
// the routes send them. The rule is on line 4.
const waterPlan = "id: p\ntitle: P\nrules:\n  - {id: level, title: L, quantity: water_level, above: 5}\n"

// TestCollectorProblems checks the exact problems reported for each part
// of the collector config, and for plans checked against it. Unless a
// test says otherwise, the config is goodCollector (5 lines) with its
// extra lines from line 6, and plans/dust.yaml is goodPlan.
func TestCollectorProblems(t *testing.T) {
	tests := []struct {
		name   string
		store  string // replaces goodCollector's store line (line 2)
		extra  string // appended to goodCollector
		config string // replaces goodCollector altogether
		plan   string // plans/dust.yaml; default goodPlan
		files  map[string]string
		want   []string
	}{
		// Store.
		{name: "unknown store backend", store: "store: {backend: sqlite, path: c.db}", want: []string{
			`c.yaml: store.backend (line 2): "sqlite" is not a store backend; use bolt or postgres`}},
		{name: "bolt without a path", store: "store: {backend: bolt}", want: []string{
			"c.yaml: store.path (line 2): required"}},
		{name: "bolt with a dsn", store: "store: {path: c.db, dsn: 'postgres://db/x'}", want: []string{
			"c.yaml: store.dsn (line 2): not used by the bolt backend"}},
		{name: "postgres without a dsn", store: "store: {backend: postgres}", want: []string{
			"c.yaml: store.dsn (line 2): required"}},
		{name: "postgres with a path", store: "store: {backend: postgres, dsn: 'postgres://xiuhua@db:5432/xiuhua', path: c.db}", want: []string{
			"c.yaml: store.path (line 2): not used by the postgres backend"}},
		{name: "postgres dsn of another database, password redacted", store: "store: {backend: postgres, dsn: 'mysql://xiuhua:secret@db/xiuhua'}", want: []string{
			`c.yaml: store.dsn (line 2): "mysql://xiuhua:xxxxx@db/xiuhua" is not a PostgreSQL URL; use postgres://user@host:5432/db`}},
		{name: "postgres dsn in key=value form is not echoed", store: "store: {backend: postgres, dsn: 'host=db password=secret'}", want: []string{
			"c.yaml: store.dsn (line 2): the dsn is not a PostgreSQL URL; use postgres://user@host:5432/db"}},
		{name: "postgresql scheme", store: "store: {backend: postgres, dsn: 'postgresql://xiuhua@db/xiuhua'}"},

		// Sites.
		{name: "sites", extra: `sites:
  - {id: cs-1, district: xuhui, devices: [d1, d2]}
  - {id: cs-1, district: xuhui, devices: [d3]}
  - {id: cs-2, devices: [d2, '']}
  - {id: CS 3, district: xuhui, tags: [key-area]}
`, want: []string{
			`c.yaml: sites[1].id (line 8): "cs-1" is already the id of sites[0]`,
			"c.yaml: sites[2].district (line 9): required",
			`c.yaml: sites[2].devices[0] (line 9): device "d2" is already at sites[0]; a device belongs to one site`,
			"c.yaml: sites[2].devices[1] (line 9): required",
			`c.yaml: sites[3].id (line 10): "CS 3" is not a valid id; use 1 to 64 lower-case letters, digits or '-'`,
		}},

		// Routes.
		{name: "routes", extra: `routes:
  - {category: noise, office: city-operations-centre}
  - {category: water, office: river-chief-office}
  - {category: dust}
  - {category: dust, office: city-operations-centre, scope: {tags: ['']}}
`, want: []string{
			`c.yaml: routes[0].category (line 7): "noise" is not a category; use one of dust, air, water, elevator, sensor`,
			`c.yaml: routes[1].office (line 8): "river-chief-office" is not one of the offices declared under offices`,
			"c.yaml: routes[2].office (line 9): required",
			"c.yaml: routes[3].scope.tags[0] (line 10): empty",
		}},

		// Offices.
		{name: "no offices", config: "mqtt: {broker: tcp://127.0.0.1:1883}\nstore: {path: c.db}\nplans: [plans/dust.yaml]\n", want: []string{
			"c.yaml: offices (line 1): at least one office is required",
			`plans/dust.yaml: rules[0].office (line 10): "city-operations-centre" is not an office declared in c.yaml`,
		}},
		{name: "offices", extra: `  - {id: a, escalate_to: nowhere, escalate_after: 15m}
  - {id: b, escalate_to: b, escalate_after: 15m}
  - {id: c, escalate_after: 15m}
  - {id: d, escalate_to: a}
  - {id: e, escalate_to: a, escalate_after: 30s}
  - {id: f, contacts: [{name: Duty, phone: "138-0000-0001"}, {phone: "13800000002"}, {name: Ok, phone: "+8613800000003"}]}
  - {id: g, escalate_to: city-operations-centre, escalate_after: 168h}
`, want: []string{
			`c.yaml: offices[1].escalate_to (line 6): "nowhere" is not one of the offices declared under offices`,
			"c.yaml: offices[2].escalate_to (line 7): an office cannot escalate to itself",
			"c.yaml: offices[3].escalate_to (line 8): escalate_after and escalate_to go together",
			"c.yaml: offices[4].escalate_to (line 9): escalate_after and escalate_to go together",
			"c.yaml: offices[5].escalate_after (line 10): 30s is out of range; use 1m to 168h",
			`c.yaml: offices[6].contacts[0].phone (line 11): "138-0000-0001" is not a phone number; use digits with an optional leading +`,
			"c.yaml: offices[6].contacts[1].name (line 11): required",
		}},

		// Channels.
		{name: "channels", extra: `notify:
  channels:
    - {name: a, type: sms, url: "https://h/x"}
    - {name: b, type: wecom}
    - {name: c, type: mqtt, url: "https://h/x"}
    - {name: d, type: mqtt, topic: "xiuhua/+/alerts"}
    - {name: e, type: mqtt, topic: "$SYS/alerts"}
    - {name: f, type: mqtt, topic: "xiuhua/alerts/"}
    - {name: g, url: "https://h/x", secret: s3cret}
    - {name: h, type: dingtalk, url: "https://oapi.dingtalk.com/robot/send?access_token=x", secret: s3cret, offices: [city-operations-centre, nowhere]}
    - {name: i, type: webhook, url: "https://h/x", topic: x/y}
    - {name: j k, url: "https://h/x", timeout: 50ms}
    - {name: a, type: mqtt}
    - {name: l, type: mqtt, topic: "/xiuhua"}
`, want: []string{
			`c.yaml: notify.channels[0].type (line 8): "sms" is not a channel type; use webhook, wecom, dingtalk or mqtt`,
			"c.yaml: notify.channels[1].url (line 9): required",
			"c.yaml: notify.channels[2].url (line 10): not used by mqtt channels: they publish on the collector's broker",
			`c.yaml: notify.channels[3].topic (line 11): "xiuhua/+/alerts" is not a topic prefix to publish on: no wildcards or NUL, no leading $ or /, no trailing /`,
			`c.yaml: notify.channels[4].topic (line 12): "$SYS/alerts" is not a topic prefix to publish on: no wildcards or NUL, no leading $ or /, no trailing /`,
			`c.yaml: notify.channels[5].topic (line 13): "xiuhua/alerts/" is not a topic prefix to publish on: no wildcards or NUL, no leading $ or /, no trailing /`,
			"c.yaml: notify.channels[6].secret (line 14): only dingtalk channels sign their requests",
			`c.yaml: notify.channels[7].offices[1] (line 15): "nowhere" is not one of the offices declared under offices`,
			"c.yaml: notify.channels[8].topic (line 16): not used by webhook channels",
			`c.yaml: notify.channels[9].name (line 17): "j k" is not a valid name; use 1 to 32 letters, digits, '_' or '-'`,
			"c.yaml: notify.channels[9].timeout (line 17): 50ms is out of range; use 100ms to 5m",
			`c.yaml: notify.channels[10].name (line 18): "a" is already the name of notify.channels[0]`,
			`c.yaml: notify.channels[11].topic (line 19): "/xiuhua" is not a topic prefix to publish on: no wildcards or NUL, no leading $ or /, no trailing /`,
		}},

		// Alerts: an explicit zero is an error, not a default.
		{name: "flap settings of zero", extra: "alerts: {flap_opens: 0, flap_window: 0s}\n", want: []string{
			"c.yaml: alerts.flap_opens (line 6): 0 is out of range; use 2 to 100",
			"c.yaml: alerts.flap_window (line 6): 0s is out of range; use 1m to 168h",
		}},

		// Plans checked against the config.
		{name: "a rule with no office whose category no route takes",
			extra: "routes: [{category: dust, office: city-operations-centre}]\n", plan: waterPlan, want: []string{
				"plans/dust.yaml: rules[0].category (line 4): no route under routes in c.yaml takes water alerts, and the rule names no office"}},
		{name: "a rule with no office, routed to an office no channel carries",
			extra: `  - {id: river-chief-office}
routes: [{category: water, office: river-chief-office}]
notify: {channels: [{name: ops, url: "https://h/x", offices: [city-operations-centre]}]}
`, plan: waterPlan, want: []string{
				`c.yaml: routes[0].office (line 7): no channel under notify.channels carries alerts for office "river-chief-office"`}},
		{name: "a rule naming an office no channel carries",
			extra: `  - {id: river-chief-office}
notify: {channels: [{name: ops, url: "https://h/x", offices: [city-operations-centre]}]}
`, plan: "id: p\ntitle: P\nrules:\n  - {id: level, title: L, quantity: water_level, above: 5, office: river-chief-office}\n", want: []string{
				`plans/dust.yaml: rules[0].office (line 4): no channel under notify.channels in c.yaml carries alerts for office "river-chief-office"`}},
		{name: "every route's office needs a channel, not only the first of a category",
			extra: `  - {id: huangpu-rivers}
sites: [{id: bund, district: huangpu, devices: [b1]}]
routes:
  - {category: water, office: huangpu-rivers, scope: {districts: [huangpu]}}
  - {category: water, office: city-operations-centre}
notify: {channels: [{name: ops, url: "https://h/x", offices: [city-operations-centre]}]}
`, plan: waterPlan, want: []string{
				`c.yaml: routes[0].office (line 9): no channel under notify.channels carries alerts for office "huangpu-rivers"`}},
		{name: "every office an escalation chain reaches needs a channel",
			extra: `  - {id: river-chief-office, escalate_to: flood-command, escalate_after: 15m}
  - {id: flood-command, escalate_to: province, escalate_after: 30m}
  - {id: province}
  - {id: idle, escalate_to: nobody-hears, escalate_after: 1h}
  - {id: nobody-hears}
routes: [{category: water, office: river-chief-office}]
notify: {channels: [{name: ops, url: "https://h/x", offices: [city-operations-centre, river-chief-office]}]}
`, plan: waterPlan, want: []string{
				`c.yaml: offices[1].escalate_to (line 6): alerts of "river-chief-office" escalate to office "flood-command", but no channel under notify.channels carries alerts for it`,
				`c.yaml: offices[2].escalate_to (line 7): alerts of "flood-command" escalate to office "province", but no channel under notify.channels carries alerts for it`,
			}},
		{name: "an escalation chain from a rule's own office",
			extra: `  - {id: flood-command}
notify: {channels: [{name: ops, url: "https://h/x", offices: [city-operations-centre]}]}
`, config: strings.Replace(goodCollector, "name: City operations centre}", "name: City operations centre, escalate_to: flood-command, escalate_after: 15m}", 1),
			want: []string{
				`c.yaml: offices[0].escalate_to (line 5): alerts of "city-operations-centre" escalate to office "flood-command", but no channel under notify.channels carries alerts for it`}},

		// Routes must cover every device a rule without an office judges.
		{name: "devices outside every route's scope",
			extra: `sites:
  - {id: gauge-1, district: xuhui, devices: [g1]}
  - {id: bund, district: huangpu, devices: [b1]}
routes: [{category: water, office: city-operations-centre, scope: {districts: [xuhui]}}]
`, plan: waterPlan, want: []string{
				`plans/dust.yaml: rules[0].category (line 4): no route under routes in c.yaml takes water alerts of device "b1" at site "bund" (district huangpu) (and 1 more), ` +
					"and the rule names no office; add a route whose scope matches, or one without a scope"}},
		{name: "devices listed under no site",
			extra: `sites: [{id: gauge-1, district: xuhui, devices: [g1]}]
routes: [{category: water, office: city-operations-centre, scope: {sites: [gauge-1]}}]
`, plan: waterPlan, want: []string{
				`plans/dust.yaml: rules[0].category (line 4): no route under routes in c.yaml takes water alerts of devices not listed under sites, ` +
					"and the rule names no office; add a route whose scope matches, or one without a scope"}},
		{name: "a device a rule's scope names, listed under no site",
			extra: `sites: [{id: gauge-1, district: xuhui, devices: [g1]}]
routes: [{category: water, office: city-operations-centre, scope: {districts: [xuhui]}}]
`, plan: "id: p\ntitle: P\nrules:\n  - {id: level, title: L, quantity: water_level, above: 5, scope: {devices: [g1, g9]}}\n", want: []string{
				`plans/dust.yaml: rules[0].category (line 4): no route under routes in c.yaml takes water alerts of device "g9" (listed under no site), ` +
					"and the rule names no office; add a route whose scope matches, or one without a scope"}},
		{name: "a rule scoped within its routes",
			extra: `  - {id: huangpu-rivers}
sites:
  - {id: gauge-1, district: xuhui, tags: [tidal], devices: [g1]}
  - {id: bund, district: huangpu, tags: [tidal], devices: [b1]}
  - {id: lake, district: huangpu, devices: [l1]}
routes:
  - {category: water, office: huangpu-rivers, scope: {districts: [huangpu]}}
  - {category: water, office: city-operations-centre, scope: {sites: [gauge-1]}}
`, plan: "id: p\ntitle: P\nscope: {tags: [tidal]}\nrules:\n  - {id: level, title: L, quantity: water_level, above: 5}\n"},
		{name: "an unscoped route catches the rest",
			extra: `  - {id: huangpu-rivers}
sites: [{id: bund, district: huangpu, devices: [b1]}]
routes:
  - {category: water, office: huangpu-rivers, scope: {districts: [huangpu]}}
  - {category: water, office: city-operations-centre}
`, plan: waterPlan},

		// Scopes name declared sites and districts.
		{name: "scope names",
			extra: `sites: [{id: gauge-1, district: xuhui, devices: [g1]}]
routes:
  - {category: water, office: city-operations-centre, scope: {sites: [gauge-1, gauge-9], districts: [minhang]}}
  - {category: water, office: city-operations-centre}
`, plan: `id: p
title: P
scope: {districts: [xuhui, pudong]}
rules:
  - {id: level, title: L, quantity: water_level, above: 5, scope: {sites: [guage-1], tags: [any-tag], devices: [any-device]}}
targets:
  - {id: t, title: T, metric: pm2_5_mean, max: 35, scope: {sites: [gauge-1, cs-2]}}
`, want: []string{
				`c.yaml: routes[0].scope.sites[1] (line 8): "gauge-9" is not a site declared under sites`,
				`c.yaml: routes[0].scope.districts[0] (line 8): "minhang" is not the district of any site declared under sites`,
				`plans/dust.yaml: scope.districts[1] (line 3): "pudong" is not the district of any site declared under sites in c.yaml`,
				`plans/dust.yaml: rules[0].scope.sites[0] (line 5): "guage-1" is not a site declared under sites in c.yaml`,
				`plans/dust.yaml: targets[0].scope.sites[1] (line 7): "cs-2" is not a site declared under sites in c.yaml`,
			}},
		{name: "with no channels at all, alerts go to the log and the API",
			extra: "  - {id: river-chief-office}\nroutes: [{category: water, office: river-chief-office}]\n", plan: waterPlan},
		{name: "a channel for every office carries them all",
			extra: "notify: {channels: [{name: all, type: mqtt}]}\n"},
		{name: "a rule whose category is wrong is not reported again for its route",
			plan: "id: p\ntitle: P\nrules: [{id: r, title: R, quantity: pm10, above: 1, category: noise}]\n", want: []string{
				`plans/dust.yaml: rules[0].category (line 3): "noise" is not a category; use one of dust, air, water, elevator, sensor`}},
		{name: "two plans with one id",
			config: strings.Replace(goodCollector, "[plans/dust.yaml]", "[plans/dust.yaml, plans/again.yaml]", 1),
			files:  map[string]string{"plans/again.yaml": goodPlan}, want: []string{
				`c.yaml: plans[1] (line 3): plan id "dust" is already the id of plans[0]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			config := goodCollector + tt.extra
			if tt.config != "" {
				config = tt.config + tt.extra
			}
			if tt.store != "" {
				config = strings.Replace(config, "store: {path: collector.db}", tt.store, 1)
			}
			plan := goodPlan
			if tt.plan != "" {
				plan = tt.plan
			}
			files := map[string]string{"c.yaml": config, "plans/dust.yaml": plan}
			for name, content := range tt.files {
				files[name] = content
			}
			dir := write(t, files)
			_, err := LoadCollector(filepath.Join(dir, "c.yaml"))
			var got []string
			if err != nil {
				got = problems(t, err, dir)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
