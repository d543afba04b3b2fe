package compliance

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
	"time"

	"github.com/xiuhua/xiuhua/cloud/aqi"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

const day = 24 * time.Hour

// minuteMask keeps the bits of Rollup.Minutes that are minutes of an hour:
// a bit above 59 would be a backend's bug, never a minute covered.
const minuteMask = 1<<60 - 1

// Compute returns the report of in. An invalid Input is an ErrInput; a day
// with a valid daily mean but no HJ 633 table in force fails with
// aqi.ErrNoTable (a configuration to fix, not a day to skip silently).
func Compute(in *Input) (*Report, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	p := in.Params.withDefaults()
	if err := p.check(); err != nil {
		return nil, err
	}
	from, to, err := Period(in.Year, in.Now)
	if err != nil {
		return nil, err
	}
	r := &Report{
		District:     in.District,
		Year:         in.Year,
		From:         from,
		To:           to,
		YearComplete: to.Equal(from.AddDate(1, 0, 0)),
		Params:       p,
	}
	ndays := int((to.Sub(from) + day - 1) / day)
	complete := int(to.Sub(from) / day)
	pm25 := dailyMeans(in.PM2_5, from, to, ndays, p)
	pm10 := dailyMeans(in.PM10, from, to, ndays, p)

	r.Days = make([]Day, ndays)
	var sum25, sum10 float64
	var good int
	for i := range ndays {
		start := from.AddDate(0, 0, i)
		d, err := dayReport(in.Tables, start, pm25[i], pm10[i], p)
		if err != nil {
			return nil, err
		}
		d.InProgress = i >= complete
		r.Days[i] = d
		if d.InProgress {
			continue
		}
		if pm25[i].valid {
			sum25 += pm25[i].mean
			r.Totals.PM2_5.ValidDays++
		}
		if pm10[i].valid {
			sum10 += pm10[i].mean
			r.Totals.PM10.ValidDays++
		}
		if d.AQI != nil {
			r.Totals.ValidDays++
			if *d.Good {
				good++
			}
		}
	}
	basis := func(days int) Basis {
		switch {
		case !r.YearComplete:
			return YearToDate
		case days >= p.MinDays:
			return FullYear
		}
		return TooFewDays
	}
	t := &r.Totals
	t.Days, t.GoodDays = complete, good
	t.GoodDayRate = ratio(float64(good), t.ValidDays)
	t.Basis = basis(t.ValidDays)
	t.PM2_5.Mean, t.PM2_5.Basis = ratio(sum25, t.PM2_5.ValidDays), basis(t.PM2_5.ValidDays)
	t.PM10.Mean, t.PM10.Basis = ratio(sum10, t.PM10.ValidDays), basis(t.PM10.ValidDays)

	r.Targets, r.Limits = evaluate(in, r)
	r.Water = water(in.Water, in.WaterLevel, from, to)
	return r, nil
}

func ratio(sum float64, n int) *float64 {
	if n == 0 {
		return nil
	}
	v := sum / float64(n)
	return &v
}

// daily is one pollutant's day.
type daily struct {
	mean  float64 // of the valid district hourly values
	hours int     // valid district hourly values
	valid bool    // hours ≥ MinHours
}

// dailyMeans returns the daily means of one pollutant over the ndays days
// of [from, to), from its stations' hourly rollups.
func dailyMeans(rs []store.Rollup, from, to time.Time, ndays int, p Params) []daily {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b store.Rollup) int {
		return cmp.Or(a.Hour.Compare(b.Hour), cmp.Compare(a.Device, b.Device), cmp.Compare(a.Sensor, b.Sensor))
	})
	sums := make([]float64, ndays)
	days := make([]daily, ndays)
	// Walk the hours in order; in each, the devices in order, merging a
	// device's rollups (one per sensor) before judging its hour.
	for i := 0; i < len(rs); {
		hour := rs[i].Hour
		var stations float64
		var n int
		for i < len(rs) && rs[i].Hour.Equal(hour) {
			m := rs[i]
			for i++; i < len(rs) && rs[i].Hour.Equal(hour) && rs[i].Device == m.Device; i++ {
				m = merge(m, rs[i])
			}
			if v, ok := hourly(m, p); ok {
				stations += v
				n++
			}
		}
		if n == 0 || hour.Before(from) || !hour.Before(to) {
			continue
		}
		d := int(hour.Sub(from) / day)
		sums[d] += stations / float64(n)
		days[d].hours++
	}
	for i := range days {
		if days[i].hours > 0 {
			days[i].mean = sums[i] / float64(days[i].hours)
		}
		days[i].valid = days[i].hours >= p.MinHours
	}
	return days
}

func merge(a, b store.Rollup) store.Rollup {
	a.Count += b.Count
	a.Sum += b.Sum
	a.Min = min(a.Min, b.Min)
	a.Max = max(a.Max, b.Max)
	a.Minutes |= b.Minutes
	return a
}

// hourly returns a station's hourly value and whether it is valid: enough
// minutes covered, and a mean that is a concentration (a negative or
// non-finite mean is a faulty sensor, not air).
func hourly(r store.Rollup, p Params) (float64, bool) {
	if r.Count == 0 || bits.OnesCount64(r.Minutes&minuteMask) < p.MinMinutes {
		return 0, false
	}
	v := r.Mean()
	return v, finite(v) && v >= 0
}

// dayReport builds one day's entry from its two pollutants' daily means.
func dayReport(tables aqi.Set, start time.Time, pm25, pm10 daily, p Params) (Day, error) {
	d := Day{
		Date:       start.Format(time.DateOnly),
		PM2_5Hours: pm25.hours,
		PM10Hours:  pm10.hours,
		Pollutants: []telemetry.Quantity{},
		IAQI:       map[telemetry.Quantity]int{},
		Primary:    []telemetry.Quantity{},
		Beyond:     []telemetry.Quantity{},
	}
	means := map[telemetry.Quantity]float64{}
	if pm25.valid {
		d.PM2_5 = &pm25.mean
		means[telemetry.PM2_5] = pm25.mean
	}
	if pm10.valid {
		d.PM10 = &pm10.mean
		means[telemetry.PM10] = pm10.mean
	}
	if len(means) == 0 {
		return d, nil
	}
	table, err := tables.For(start)
	if err != nil {
		return Day{}, fmt.Errorf("compliance: %s: %w", d.Date, err)
	}
	x, err := aqi.DailyAQI(table, means)
	if err != nil {
		return Day{}, fmt.Errorf("compliance: %s: %w", d.Date, err)
	}
	for _, s := range x.Subs {
		d.Pollutants = append(d.Pollutants, s.Quantity)
		d.IAQI[s.Quantity] = s.IAQI
		if s.Beyond {
			d.Beyond = append(d.Beyond, s.Quantity)
		}
	}
	good := x.AQI <= p.GoodAQI
	d.AQI, d.Good, d.Table = &x.AQI, &good, x.Table
	d.Primary = append(d.Primary, x.Primary...)
	d.Category = &Category{Level: int(x.Category), English: x.Category.English(), Chinese: x.Category.Chinese()}
	return d, nil
}
