package web_test

import (
	"path/filepath"
	"testing"

	"github.com/xiuhua/xiuhua/cloud/web"
	"github.com/xiuhua/xiuhua/configs"
)

func loadPlans(t *testing.T, names ...string) []*configs.Plan {
	t.Helper()
	var out []*configs.Plan
	for _, n := range names {
		p, err := configs.LoadPlan(filepath.Join("..", "..", "configs", "plans", n+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func TestPlans(t *testing.T) {
	h := web.New(alertsFixture(t), &web.Opts{Plans: loadPlans(t, "xuhui-2023", "construction-dust", "hj633-2026", "huangpu-flood")})
	check(t, h, []exchange{{name: "plans", target: "/api/v1/plans", status: 200, body: plansJSON}})
}

// plansJSON is what the four plan files load to: the defaults filled in
// (min_samples 1, clear at the limit, a rate per 1h), unused fields left out.
const plansJSON = `{"plans":[` +
	`{"id":"xuhui-2023","title":"Xuhui district plan 2023: air quality","source":"Xuhui district 2023 government work report (徐汇区2023年政府工作报告)","kind":"plan","effective_from":"2023-01-01","scope":{"districts":["xuhui"]},"rules":[{"id":"pm25-year-to-date","title":"PM2.5 year-to-date average above the plan's 32 µg/m³","kind":"period","quantity":"pm2_5","unit":"ug/m3","category":"air","severity":"info","above":32,"clear":31,"period":"year","aggregate":"mean","min_samples":1440}],"targets":[{"id":"pm25-average","title":"PM2.5 average not above 32 µg/m³","metric":"pm2_5_mean","max":32},{"id":"good-day-rate","title":"Good-day rate (AQI ≤ 100) not below 85 %","metric":"good_day_rate","min":0.85}]},` +
	`{"id":"shanghai-construction-dust","title":"Construction-site dust (DB31/964-2016)","source":"Shanghai DB31/964-2016, construction-site particulate control; limit configured per site (?)","kind":"standard","effective_from":"2016-08-01","rules":[{"id":"pm10-15min-exceedance","title":"PM10 15-minute average above the site limit more than once today","kind":"period","quantity":"pm10","unit":"ug/m3","category":"dust","severity":"warning","scope":{"tags":["general-area"]},"above":75,"clear":75,"period":"15m","aggregate":"mean","min_samples":3,"allowed_per_day":1},{"id":"pm10-15min-exceedance-key-area","title":"PM10 15-minute average above the key-area limit more than once today","kind":"period","quantity":"pm10","unit":"ug/m3","category":"dust","severity":"warning","scope":{"tags":["key-area"]},"above":60,"clear":60,"period":"15m","aggregate":"mean","min_samples":3,"allowed_per_day":1},{"id":"pm25-15min-high","title":"PM2.5 15-minute average above the site limit","kind":"window","quantity":"pm2_5","unit":"ug/m3","category":"dust","severity":"warning","above":75,"clear":60,"window":"15m","aggregate":"mean","min_samples":3}],"targets":[]},` +
	`{"id":"hj633-2026","title":"HJ 633-2026 air quality index (24-hour PM breakpoints)","source":"HJ 633-2026 环境空气质量指数（AQI）技术规定","kind":"standard","effective_from":"2026-03-01","rules":[],"targets":[],"aqi":{"name":"HJ 633-2026","pollutants":{"pm10":[[0,0],[50,50],[120,100],[250,150],[350,200],[420,300],[500,400],[600,500]],"pm2_5":[[0,0],[35,50],[60,100],[115,150],[150,200],[250,300],[350,400],[500,500]]}}},` +
	`{"id":"huangpu-flood","title":"Huangpu flood control: station water levels","source":"Station warning and guaranteed levels set by the district flood-control office (?)","kind":"plan","rules":[{"id":"river-gauge-1-warning","title":"Water level above the warning level (river gauge 1)","kind":"threshold","quantity":"water_level","unit":"m","category":"water","severity":"warning","scope":{"sites":["river-gauge-1"]},"above":4.8,"clear":4.7,"for":"2m","clear_for":"10m","min_samples":1},{"id":"river-gauge-1-guaranteed","title":"Water level above the guaranteed level (river gauge 1)","kind":"threshold","quantity":"water_level","unit":"m","category":"water","severity":"critical","scope":{"sites":["river-gauge-1"]},"above":5.5,"clear":5.4,"for":"1m","clear_for":"10m","min_samples":1},{"id":"rapid-rise","title":"Water level rising fast","kind":"rate","quantity":"water_level","unit":"m/h","category":"water","severity":"warning","above":0.3,"clear":0.1,"window":"30m","min_samples":5,"per":"1h"},{"id":"level-gauge-silent","title":"Water-level gauge silent","kind":"silence","quantity":"water_level","unit":"m","category":"water","severity":"warning","min_samples":1,"after":"10m"},{"id":"level-gauge-stuck","title":"Water-level reading stuck","kind":"stuck","quantity":"water_level","unit":"m","category":"water","severity":"info","for":"6h","min_samples":1,"tolerance":0.001},{"id":"level-impossible","title":"Water level outside the gauge's possible range","kind":"range","quantity":"water_level","unit":"m","category":"water","severity":"warning","min_samples":1,"min":-5,"max":20},{"id":"loop-broken","title":"4–20 mA loop current outside 3.6–21 mA (NAMUR NE43: broken or shorted loop)","kind":"range","quantity":"loop_current","unit":"mA","category":"water","severity":"warning","min_samples":1,"min":3.6,"max":21}],"targets":[]}]}`
