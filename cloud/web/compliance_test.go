package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/aqi"
	"github.com/xiuhua/xiuhua/cloud/compliance"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/cloud/store/bolt"
	"github.com/xiuhua/xiuhua/cloud/web"
	"github.com/xiuhua/xiuhua/telemetry"
)

// reportNow is the collector's clock in the compliance tests: 06:00 on
// 2 January 2026, China Standard Time.
var reportNow = time.Date(2026, 1, 2, 6, 0, 0, 0, aqi.CST)

// complianceEnv is the API over a store holding two hours of PM2.5 of
// site-7 on 1 January 2026 (CST), with a Compliance that computes the
// real report of district xuhui from the store's rollups, as the
// collector does. Its validity rules are relaxed (one reading makes an
// hour, one hour a day) so that two readings make a valid day.
func complianceEnv(t *testing.T) (http.Handler, *[]string) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "c.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	day := time.Date(2026, 1, 1, 0, 30, 0, 0, aqi.CST)
	_, err = db.Append(context.Background(), reportNow, telemetry.Batch{Device: "site-7", Records: []telemetry.Record{
		{Seq: 1, Reading: telemetry.Reading{Sensor: "dust", Quantity: telemetry.PM2_5, Value: 40, Time: day}},
		{Seq: 2, Reading: telemetry.Reading{Sensor: "dust", Quantity: telemetry.PM2_5, Value: 50, Time: day.Add(time.Hour)}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var pm25 []aqi.Breakpoint
	for _, bp := range [][2]float64{{0, 0}, {35, 50}, {75, 100}, {115, 150}, {150, 200}, {250, 300}, {350, 400}, {500, 500}} {
		pm25 = append(pm25, aqi.Breakpoint{Conc: bp[0], IAQI: bp[1]})
	}
	table := aqi.Table{Name: "HJ 633-2012", Pollutants: map[telemetry.Quantity][]aqi.Breakpoint{telemetry.PM2_5: pm25}}
	max32 := 32.0
	var calls []string
	report := func(ctx context.Context, district string, year int) (any, error) {
		calls = append(calls, fmt.Sprint(district, " ", year))
		switch district {
		case "xuhui":
		case "broken":
			return nil, errors.New("compliance of broken in 2026: aqi: no table in force on 2026-01-01")
		default:
			return nil, fmt.Errorf("%w: district: no site of the collector config is in district %q", web.ErrBadRequest, district)
		}
		from, to, err := compliance.Period(year, reportNow)
		if err != nil {
			return nil, fmt.Errorf("%w: year: %v", web.ErrBadRequest, err)
		}
		rs, err := db.Rollups(ctx, store.RollupQuery{Quantity: telemetry.PM2_5, From: from, To: to})
		if err != nil {
			return nil, err
		}
		return compliance.Compute(&compliance.Input{District: district, Year: year, Now: reportNow, PM2_5: rs,
			Tables: aqi.Set{table}, Params: &compliance.Params{MinMinutes: 1, MinHours: 1, MinDays: 1},
			Targets: []compliance.Target{{ID: "xuhui-2023/pm25-average", Plan: "xuhui-2023", Title: "PM2.5 average not above 32 µg/m³",
				Metric: compliance.Metric("pm2_5_mean"), Max: &max32, Source: "Xuhui 2023"}}})
	}
	return web.New(db, &web.Opts{Compliance: report, Now: func() time.Time { return reportNow }}), &calls
}

// report2026 is the report of xuhui at reportNow: 1 January complete
// (mean 45 µg/m³, IAQI 63 by HJ 633-2012, good), 2 January in progress.
const report2026 = `{"district":"xuhui","year":2026,"from":"2026-01-01T00:00:00+08:00","to":"2026-01-02T06:00:00+08:00","year_complete":false,"params":{"min_minutes":1,"min_hours":1,"min_days":1,"good_aqi":100}` +
	`,"days":[{"date":"2026-01-01","in_progress":false,"pm2_5":45,"pm10":null,"pm2_5_hours":2,"pm10_hours":0,"pollutants":["pm2_5"],"iaqi":{"pm2_5":63},"aqi":63,"category":{"level":2,"en":"Good","zh":"良"},"primary":["pm2_5"],"beyond":[],"good":true,"table":"HJ 633-2012"},{"date":"2026-01-02","in_progress":true,"pm2_5":null,"pm10":null,"pm2_5_hours":0,"pm10_hours":0,"pollutants":[],"iaqi":{},"aqi":null,"category":null,"primary":[],"beyond":[],"good":null,"table":""}]` +
	`,"totals":{"days":1,"valid_days":1,"good_days":1,"good_day_rate":1,"basis":"year_to_date","pm2_5":{"mean":45,"valid_days":1,"basis":"year_to_date"},"pm10":{"mean":null,"valid_days":0,"basis":"year_to_date"}}` +
	`,"targets":[{"id":"xuhui-2023/pm25-average","kind":"target","plan":"xuhui-2023","title":"PM2.5 average not above 32 µg/m³","source":"Xuhui 2023","metric":"pm2_5_mean","min":null,"max":32,"value":45,"valid_days":1,"basis":"year_to_date","status":"not_met"}],"limits":[],"water":[]}`

func TestCompliance(t *testing.T) {
	h, calls := complianceEnv(t)
	check(t, h, []exchange{
		{name: "default year", target: "/api/v1/compliance?district=xuhui", status: 200, body: report2026},
		{name: "year", target: "/api/v1/compliance?district=xuhui&year=2026", status: 200, body: report2026},
		{name: "no district", target: "/api/v1/compliance?year=2026", status: 400, body: `{"error":"district: missing"}`},
		{name: "empty district", target: "/api/v1/compliance?district=&year=2026", status: 400, body: `{"error":"district: missing"}`},
		{name: "district twice", target: "/api/v1/compliance?district=xuhui&district=minhang", status: 400,
			body: `{"error":"district: given 2 times; give it once"}`},
		{name: "year word", target: "/api/v1/compliance?district=xuhui&year=this", status: 400,
			body: `{"error":"year: \"this\" is not a year from 2000 to 2100"}`},
		{name: "year too early", target: "/api/v1/compliance?district=xuhui&year=1999", status: 400,
			body: `{"error":"year: \"1999\" is not a year from 2000 to 2100"}`},
		{name: "year too late", target: "/api/v1/compliance?district=xuhui&year=2101", status: 400,
			body: `{"error":"year: \"2101\" is not a year from 2000 to 2100"}`},
		{name: "year twice", target: "/api/v1/compliance?district=xuhui&year=2025&year=2026", status: 400,
			body: `{"error":"year: given 2 times; give it once"}`},
		{name: "unknown parameter", target: "/api/v1/compliance?district=xuhui&yaer=2025", status: 400,
			body: `{"error":"yaer: not a parameter here; use district, year"}`},
		{name: "year not started", target: "/api/v1/compliance?district=xuhui&year=2027", status: 400,
			body: `{"error":"year: compliance: invalid input: year 2027 has not started at 2026-01-02 06:00:00 +0800 CST"}`},
		{name: "unknown district", target: "/api/v1/compliance?district=minhang", status: 400,
			body: `{"error":"district: no site of the collector config is in district \"minhang\""}`},
		{name: "plans at fault", target: "/api/v1/compliance?district=broken", status: 500, body: `{"error":"internal error"}`},
		{name: "method", method: http.MethodPost, target: "/api/v1/compliance?district=xuhui", status: 405,
			body: `{"error":"method POST is not allowed; use GET"}`},
	})
	// Only the requests that passed the checks reached the report.
	want := []string{"xuhui 2026", "xuhui 2026", "xuhui 2027", "minhang 2026", "broken 2026"}
	if fmt.Sprint(*calls) != fmt.Sprint(want) {
		t.Errorf("calls %q, want %q", *calls, want)
	}
}

// A finished year: the report covers all of it.
func TestComplianceLastYear(t *testing.T) {
	h, _ := complianceEnv(t)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/compliance?district=xuhui&year=2025", nil))
	var rep struct {
		Year         int    `json:"year"`
		From         string `json:"from"`
		To           string `json:"to"`
		YearComplete bool   `json:"year_complete"`
		Days         []struct {
			InProgress bool `json:"in_progress"`
		} `json:"days"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); rec.Code != 200 || err != nil {
		t.Fatalf("status %d, %v: %s", rec.Code, err, rec.Body)
	}
	if rep.Year != 2025 || rep.From != "2025-01-01T00:00:00+08:00" || rep.To != "2026-01-01T00:00:00+08:00" || !rep.YearComplete ||
		len(rep.Days) != 365 || rep.Days[364].InProgress {
		t.Errorf("report of 2025: year %d from %s to %s complete %v, %d days", rep.Year, rep.From, rep.To, rep.YearComplete, len(rep.Days))
	}
}

func TestNoCompliance(t *testing.T) {
	check(t, web.New(alertsFixture(t), nil), []exchange{
		{name: "compliance", target: "/api/v1/compliance?district=xuhui", status: 503, body: `{"error":"compliance reports are not served here"}`},
		{name: "plans", target: "/api/v1/plans", status: 200, body: `{"plans":[]}`},
	})
}
