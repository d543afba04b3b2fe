package compliance

import (
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

// Report is a district's standing for a year to date, as served at
// GET /api/v1/compliance?district=&year=. Field names are stable: add, do
// not rename. Every slice is non-nil ([] in JSON) and an absent value is
// null, so that the shape does not change with the data.
type Report struct {
	District string `json:"district"`
	Year     int    `json:"year"`
	// From and To bound the period covered, [From, To), in CST (see
	// Period).
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// YearComplete is true when the period is the whole year.
	YearComplete bool   `json:"year_complete"`
	Params       Params `json:"params"` // the validity rules applied
	// Days lists every CST day of the period, from 1 January. The last
	// one may be InProgress.
	Days   []Day  `json:"days"`
	Totals Totals `json:"totals"`
	// Targets holds one evaluation per Input target, in input order.
	Targets []Evaluation `json:"targets"`
	// Limits holds one evaluation per Input limit in force on the
	// reference day (see Input.Limits), in input order.
	Limits []Evaluation `json:"limits"`
	// Water holds one entry per Input water station, in input order.
	Water []Water `json:"water"`
}

// Day is one CST calendar day.
type Day struct {
	Date string `json:"date"` // YYYY-MM-DD, CST
	// InProgress is true for a day that had not ended at Now: it is shown
	// but counted in no total.
	InProgress bool `json:"in_progress"`
	// PM2_5 and PM10 are the daily means, µg/m³: the mean of the
	// district's valid hourly values, null when fewer than
	// Params.MinHours.
	PM2_5 *float64 `json:"pm2_5"`
	PM10  *float64 `json:"pm10"`
	// PM2_5Hours and PM10Hours count the district's valid hourly values.
	PM2_5Hours int `json:"pm2_5_hours"`
	PM10Hours  int `json:"pm10_hours"`
	// Pollutants lists those whose valid daily mean the AQI is computed
	// from: both, or one when the other's daily mean is invalid, or none
	// (AQI null).
	Pollutants []telemetry.Quantity `json:"pollutants"`
	// IAQI holds each of those pollutants' individual index.
	IAQI     map[telemetry.Quantity]int `json:"iaqi"`
	AQI      *int                       `json:"aqi"`
	Category *Category                  `json:"category"`
	// Primary lists the primary pollutant(s): those whose IAQI is the
	// AQI, when the AQI is above 50.
	Primary []telemetry.Quantity `json:"primary"`
	// Beyond lists the pollutants whose daily mean was above the top of
	// the table (their IAQI is capped at it).
	Beyond []telemetry.Quantity `json:"beyond"`
	// Good is AQI ≤ Params.GoodAQI, null without an AQI.
	Good *bool `json:"good"`
	// Table names the HJ 633 edition used, "" without an AQI.
	Table string `json:"table"`
}

// Category is an AQI category (aqi.Category) spelled out.
type Category struct {
	Level   int    `json:"level"` // 1 (优) to 6 (严重污染)
	English string `json:"en"`
	Chinese string `json:"zh"`
}

// Totals are over the period's complete days (not the one in progress).
type Totals struct {
	Days      int `json:"days"`       // complete days in the period
	ValidDays int `json:"valid_days"` // complete days with an AQI
	GoodDays  int `json:"good_days"`  // valid days with AQI ≤ Params.GoodAQI
	// GoodDayRate is GoodDays / ValidDays, a fraction; null without valid
	// days.
	GoodDayRate *float64 `json:"good_day_rate"`
	// Basis says what GoodDayRate stands for (see Basis), with ValidDays
	// against Params.MinDays.
	Basis Basis  `json:"basis"`
	PM2_5 Annual `json:"pm2_5"`
	PM10  Annual `json:"pm10"`
}

// Annual is one pollutant's mean over the year to date.
type Annual struct {
	// Mean is the mean of the valid daily means, µg/m³; null without any.
	Mean      *float64 `json:"mean"`
	ValidDays int      `json:"valid_days"`
	Basis     Basis    `json:"basis"`
}

// Basis says what a yearly figure stands for.
type Basis string

// Bases.
const (
	// FullYear: the year is over and the figure rests on at least
	// Params.MinDays valid days: a valid annual value.
	FullYear Basis = "full_year"
	// YearToDate: the year is not over; the figure is provisional, over
	// the valid days so far.
	YearToDate Basis = "year_to_date"
	// TooFewDays: the year is over with fewer than Params.MinDays valid
	// days: no valid annual value (the figure is still shown).
	TooFewDays Basis = "too_few_days"
)

// Status is the outcome of a target or a limit.
type Status string

// Statuses.
const (
	Met    Status = "met"
	NotMet Status = "not_met"
	// Insufficient: no value (no valid day), or a Basis of TooFewDays.
	// A YearToDate value is judged, provisionally.
	Insufficient Status = "insufficient_data"
)

// Evaluation is one target or limit against the year's figure.
type Evaluation struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`           // "target" or "limit"
	Plan   string `json:"plan,omitempty"` // targets only
	Title  string `json:"title"`
	Source string `json:"source"`
	Metric Metric `json:"metric"`
	// Min and Max are the bounds (a limit has only Max).
	Min *float64 `json:"min"`
	Max *float64 `json:"max"`
	// From and To are a limit's dates of effect, YYYY-MM-DD, "" when
	// unbounded (and for targets).
	From      string   `json:"from,omitempty"`
	To        string   `json:"to,omitempty"`
	Value     *float64 `json:"value"` // null without a valid day
	ValidDays int      `json:"valid_days"`
	Basis     Basis    `json:"basis"`
	Status    Status   `json:"status"`
}

// Water is one water-level station over the period.
type Water struct {
	Site    string   `json:"site"`
	Devices []string `json:"devices"`
	// Hours counts the hours with at least one reading from any device.
	Hours int `json:"hours"`
	// Peak is the highest level seen (the largest rollup Max), m, and
	// PeakHour the start of the first hour it was seen; null without
	// readings.
	Peak     *float64     `json:"peak"`
	PeakHour *time.Time   `json:"peak_hour"`
	Levels   []Exceedance `json:"levels"` // one per configured level, in order
}

// Exceedance is the time a station spent above one level.
type Exceedance struct {
	Name  string  `json:"name"`
	Above float64 `json:"above"`
	// Hours counts the hours (each once, however many devices saw it)
	// whose rollup Max is above the level.
	Hours int `json:"hours"`
	// First and Last are the starts of the first and last such hours, in
	// CST; null when there is none.
	First *time.Time `json:"first"`
	Last  *time.Time `json:"last"`
}
