package collector

import (
	"testing"

	"github.com/xiuhua/xiuhua/cloud/rules"
	"github.com/xiuhua/xiuhua/configs"
)

// An alert goes to its rule's office, else to the first route whose
// category and scope match its device, never to a route whose scope
// excludes the device.
func TestPlannerRoute(t *testing.T) {
	cfg := &configs.Collector{
		Sites: []configs.Site{
			{ID: "bund", District: "huangpu", Devices: []string{"b1"}},
			{ID: "gauge-1", District: "xuhui", Devices: []string{"g1"}},
			{ID: "cs-1", District: "xuhui", Devices: []string{"d1"}},
		},
		Offices: []configs.Office{{ID: "duty-desk"}, {ID: "huangpu-rivers"}, {ID: "river-chief"}, {ID: "xuhui-dust"}},
		Routes: []configs.Route{
			{Category: configs.CategoryWater, Office: "huangpu-rivers", Scope: configs.Scope{Districts: []string{"huangpu"}}},
			{Category: configs.CategoryWater, Office: "river-chief"},
			{Category: configs.CategoryDust, Office: "xuhui-dust", Scope: configs.Scope{Districts: []string{"xuhui"}}},
		},
	}
	p := newPlanner(cfg)
	water := &rules.Rule{Category: configs.CategoryWater}
	dust := &rules.Rule{Category: configs.CategoryDust}
	for _, tc := range []struct {
		name   string
		r      *rules.Rule
		device string
		want   string
	}{
		{"the rule's own office", &rules.Rule{Category: configs.CategoryWater, Office: "duty-desk"}, "b1", "duty-desk"},
		{"a scoped route", water, "b1", "huangpu-rivers"},
		{"the unscoped route after it", water, "g1", "river-chief"},
		{"a device under no site", water, "unlisted", "river-chief"},
		{"the dust route's district", dust, "d1", "xuhui-dust"},
		// configs refuses this config (a dust rule without an office can
		// judge b1); built in code it still sends the alert somewhere
		// known, not to xuhui-dust, whose scope excludes b1.
		{"outside every route", dust, "b1", "duty-desk"},
	} {
		if got := p.route(tc.r, tc.device); got != tc.want {
			t.Errorf("%s: route(%s, %s) = %q, want %q", tc.name, tc.r.Category, tc.device, got, tc.want)
		}
	}
}
