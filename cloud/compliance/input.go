package compliance

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/xiuhua/xiuhua/cloud/aqi"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

// ErrInput wraps every problem with an Input: the configuration or the
// request is wrong, not the data.
var ErrInput = errors.New("compliance: invalid input")

// Input is everything a report is computed from.
type Input struct {
	// District names the district the report is about; echoed in the
	// report.
	District string
	// Year is the calendar year reported, in CST: from 1 January 00:00 CST.
	Year int
	// Now is when the report is made. The report covers [1 January 00:00
	// CST of Year, min(Now, 1 January 00:00 CST of Year+1)); a Now before
	// the year starts is an error. See Period.
	Now time.Time

	// PM2_5 and PM10 are the hourly rollups of the district's
	// air-quality stations for telemetry.PM2_5 and telemetry.PM10
	// (µg/m³), any number of devices, in any order. Every rollup's
	// Quantity must match its field. A device is a station: the rollups
	// of one device for one hour (one per sensor, if it has several)
	// are merged into one. Rollups outside the period are ignored, so the
	// caller may read a wider range.
	PM2_5 []store.Rollup
	PM10  []store.Rollup

	// Tables are the HJ 633 breakpoint editions; each day uses the one in
	// force on it. Must pass aqi.Set.Validate, and have a table for every
	// day with a valid daily mean.
	Tables aqi.Set

	// Targets are the district plans' goals for the year.
	Targets []Target
	// Limits are the annual limits of GB 3095 with their dates of effect.
	// Those in force on the reference day are evaluated: 31 December of
	// Year when the year is over, else the CST day of Now (the standard
	// the district answers to today).
	Limits []Limit

	// Water lists the water-level stations and their flood levels.
	Water []WaterStation
	// WaterLevel are the hourly rollups of telemetry.WaterLevel of the
	// Water stations' devices (m, in each station's datum). Rollups of
	// other devices are ignored.
	WaterLevel []store.Rollup

	// Params are the data-validity rules; nil means DefaultParams.
	Params *Params
}

// Params are the data-validity rules of GB 3095 (its table of minimum
// data for each averaging time). A zero field takes its default.
type Params struct {
	// MinMinutes is how many distinct minutes of an hour must hold a
	// reading (set bits in Rollup.Minutes) for the hour's mean to be a
	// valid hourly value. Default 45, GB 3095's 45 minutes of sampling
	// per hour.
	MinMinutes int `json:"min_minutes"`
	// MinHours is how many valid hourly values of the district a daily
	// mean needs. Default 20 (GB 3095, 24-hour mean of PM2.5 and PM10).
	MinHours int `json:"min_hours"`
	// MinDays is how many valid daily values an annual mean needs. Default
	// 324 (?): not confirmed against the published GB 3095 text, which
	// may also ask for a minimum per month (not applied here).
	MinDays int `json:"min_days"`
	// GoodAQI is the highest AQI of a good day (优 and 良). Default 100.
	GoodAQI int `json:"good_aqi"`
}

// DefaultParams returns the documented defaults.
func DefaultParams() Params {
	return Params{MinMinutes: 45, MinHours: 20, MinDays: 324, GoodAQI: 100}
}

func (p *Params) withDefaults() Params {
	d := DefaultParams()
	if p == nil {
		return d
	}
	q := *p
	for _, f := range []struct{ v, def *int }{
		{&q.MinMinutes, &d.MinMinutes}, {&q.MinHours, &d.MinHours}, {&q.MinDays, &d.MinDays}, {&q.GoodAQI, &d.GoodAQI},
	} {
		if *f.v == 0 {
			*f.v = *f.def
		}
	}
	return q
}

func (p Params) check() error {
	switch {
	case p.MinMinutes < 1 || p.MinMinutes > 60:
		return fmt.Errorf("%w: params: min_minutes %d is not in [1, 60]", ErrInput, p.MinMinutes)
	case p.MinHours < 1 || p.MinHours > 24:
		return fmt.Errorf("%w: params: min_hours %d is not in [1, 24]", ErrInput, p.MinHours)
	case p.MinDays < 1 || p.MinDays > 366:
		return fmt.Errorf("%w: params: min_days %d is not in [1, 366]", ErrInput, p.MinDays)
	case p.GoodAQI < 1:
		return fmt.Errorf("%w: params: good_aqi %d is not positive", ErrInput, p.GoodAQI)
	}
	return nil
}

// Metric names a yearly figure a target or a limit bounds.
type Metric string

// Metrics.
const (
	// PM2_5Mean is the annual (year-to-date) mean of the valid daily
	// PM2.5 means, µg/m³.
	PM2_5Mean Metric = "pm2_5_mean"
	// PM10Mean is the same for PM10, µg/m³.
	PM10Mean Metric = "pm10_mean"
	// GoodDayRate is good days / valid days, a fraction in [0, 1] (0.85,
	// not 85).
	GoodDayRate Metric = "good_day_rate"
)

// Target is one goal of a district plan, e.g. Xuhui's 2023 "PM2.5 average
// not above 32 µg/m³" (Metric PM2_5Mean, Max 32) or "good-day rate not
// below 85%" (GoodDayRate, Min 0.85).
type Target struct {
	ID     string // required, unique among the Input's Targets
	Plan   string // the plan the target comes from
	Title  string // shown to the offices
	Metric Metric // required
	// Max and Min bound the metric, inclusive: the target is met when
	// value ≤ *Max and value ≥ *Min. At least one is required; a
	// GoodDayRate bound is a fraction in [0, 1].
	Max *float64
	Min *float64
	// Source is the document the target comes from; free text.
	Source string
}

// Limit is one annual concentration limit of GB 3095, in force on the CST
// days in [From, To), e.g. GB 3095-2012 grade II PM2.5 35 µg/m³ to
// 2026-03-01, then GB 3095-2026's transition value 30 until 2031-01-01.
type Limit struct {
	ID     string // required, unique among the Input's Limits
	Title  string // shown to the offices
	Metric Metric // PM2_5Mean or PM10Mean
	Max    float64
	// From and To are CST midnights (aqi.Day); the zero time means no
	// bound.
	From, To time.Time
	Source   string // the standard and its clause; free text
}

func (l *Limit) inForce(day time.Time) bool {
	d := aqi.Day(day)
	return (l.From.IsZero() || !d.Before(l.From)) && (l.To.IsZero() || d.Before(l.To))
}

// WaterStation is a water-level station and its flood levels.
type WaterStation struct {
	Site string // required, unique among the Input's stations
	// Devices are the station's level gauges (one or more). An hour
	// exceeds a level when any of them saw a level above it.
	Devices []string
	Levels  []Level // at least one
}

// Level is a flood level of a station, in the station's datum (m): the
// warning level (警戒水位) or the guaranteed level (保证水位). Configured
// per station, never built in.
type Level struct {
	Name  string  // required, unique in the station, e.g. "warning", "guaranteed"
	Above float64 // an hour exceeds the level when its rollup's Max > Above
}

// Period returns the time a report of year made at now covers: from 1
// January 00:00 CST of year to the earlier of now and the next 1 January
// 00:00 CST. The caller reads the rollups with Hour in [from, to).
func Period(year int, now time.Time) (from, to time.Time, err error) {
	from = time.Date(year, time.January, 1, 0, 0, 0, 0, aqi.CST)
	end := from.AddDate(1, 0, 0)
	if !now.After(from) {
		return time.Time{}, time.Time{}, fmt.Errorf("%w: year %d has not started at %v", ErrInput, year, now.In(aqi.CST))
	}
	if now.Before(end) {
		return from, now.In(aqi.CST), nil
	}
	return from, end, nil
}

func (in *Input) check() error {
	if in.Year < 1 || in.Year > 9999 {
		return fmt.Errorf("%w: year %d", ErrInput, in.Year)
	}
	if err := in.Tables.Validate(); err != nil {
		return fmt.Errorf("%w: tables: %w", ErrInput, err)
	}
	for _, c := range []struct {
		field string
		q     telemetry.Quantity
		rs    []store.Rollup
	}{{"pm2_5", telemetry.PM2_5, in.PM2_5}, {"pm10", telemetry.PM10, in.PM10}, {"water_level", telemetry.WaterLevel, in.WaterLevel}} {
		for _, r := range c.rs {
			if r.Quantity != c.q {
				return fmt.Errorf("%w: %s rollups: %s of %s at %v", ErrInput, c.field, r.Quantity, r.Device, r.Hour)
			}
			if !r.Hour.Equal(r.Hour.Truncate(time.Hour)) {
				return fmt.Errorf("%w: %s rollup of %s at %v does not start an hour", ErrInput, c.field, r.Device, r.Hour)
			}
		}
	}
	ids := map[string]bool{}
	for i, t := range in.Targets {
		at := fmt.Sprintf("targets[%d] %q", i, t.ID)
		if t.ID == "" || ids[t.ID] {
			return fmt.Errorf("%w: %s: id empty or repeated", ErrInput, at)
		}
		ids[t.ID] = true
		if err := checkBounds(t.Metric, t.Min, t.Max); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrInput, at, err)
		}
	}
	clear(ids)
	for i, l := range in.Limits {
		at := fmt.Sprintf("limits[%d] %q", i, l.ID)
		if l.ID == "" || ids[l.ID] {
			return fmt.Errorf("%w: %s: id empty or repeated", ErrInput, at)
		}
		ids[l.ID] = true
		if l.Metric != PM2_5Mean && l.Metric != PM10Mean {
			return fmt.Errorf("%w: %s: metric %q is not %s or %s", ErrInput, at, l.Metric, PM2_5Mean, PM10Mean)
		}
		if err := checkBounds(l.Metric, nil, &l.Max); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrInput, at, err)
		}
		for _, d := range []time.Time{l.From, l.To} {
			if !d.IsZero() && !d.Equal(aqi.Day(d)) {
				return fmt.Errorf("%w: %s: %v is not midnight CST", ErrInput, at, d)
			}
		}
		if !l.From.IsZero() && !l.To.IsZero() && !l.From.Before(l.To) {
			return fmt.Errorf("%w: %s: to is not after from", ErrInput, at)
		}
	}
	clear(ids)
	for i, s := range in.Water {
		at := fmt.Sprintf("water[%d] %q", i, s.Site)
		if s.Site == "" || ids[s.Site] {
			return fmt.Errorf("%w: %s: site empty or repeated", ErrInput, at)
		}
		ids[s.Site] = true
		if len(s.Devices) == 0 || len(s.Levels) == 0 {
			return fmt.Errorf("%w: %s: needs at least one device and one level", ErrInput, at)
		}
		names := map[string]bool{}
		for _, l := range s.Levels {
			if l.Name == "" || names[l.Name] || !finite(l.Above) {
				return fmt.Errorf("%w: %s: level %q: name empty or repeated, or level not finite", ErrInput, at, l.Name)
			}
			names[l.Name] = true
		}
	}
	return nil
}

func checkBounds(m Metric, lo, hi *float64) error {
	switch m {
	case PM2_5Mean, PM10Mean, GoodDayRate:
	default:
		return fmt.Errorf("metric %q is not %s, %s or %s", m, PM2_5Mean, PM10Mean, GoodDayRate)
	}
	if lo == nil && hi == nil {
		return errors.New("neither min nor max")
	}
	for _, b := range []*float64{lo, hi} {
		switch {
		case b == nil:
		case !finite(*b) || *b < 0:
			return fmt.Errorf("bound %v is not a finite non-negative number", *b)
		case m == GoodDayRate && *b > 1:
			return fmt.Errorf("a good-day rate bound is a fraction in [0, 1], not %v", *b)
		}
	}
	if lo != nil && hi != nil && *lo > *hi {
		return fmt.Errorf("min %v is above max %v", *lo, *hi)
	}
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
