package alert

import (
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/rules"
	"github.com/xiuhua/xiuhua/internal/sigfig"
	"github.com/xiuhua/xiuhua/telemetry"
)

func TestMessages(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 7, 14, 17, 5, 0, 250_000_000, cst)
	tests := []struct {
		name string
		r    rules.Rule
		// open and clear are the transitions' judged values; since
		// is how long before at the condition began.
		open, clear float64
		since       time.Duration
		samples     int
		exceedances int
		retro       bool
		limit       float64
		unit        string
		opened      string
		cleared     string
	}{
		{
			name: "threshold",
			r: rules.Rule{Title: "Huangpu high water", Kind: rules.Threshold, Quantity: telemetry.WaterLevel,
				Limit: 4.5, Clear: 4.4},
			open: 4.5234, clear: 4.38, samples: 1, limit: 4.5, unit: "m",
			// Four figures, to the millimetre: 4.523 is above 4.5, as
			// the alert's Value says.
			opened:  "Huangpu high water: gauge-3/level water_level is 4.523 m, above 4.5",
			cleared: "Huangpu high water: gauge-3/level water_level is back to 4.38 m (clears at 4.4)",
		},
		{
			name: "threshold below, unitless",
			r: rules.Rule{Title: "Lift below ground", Kind: rules.Threshold, Quantity: telemetry.Floor,
				Below: true, Limit: -2, Clear: -2},
			open: -3, clear: 0, samples: 1, limit: -2, unit: "1",
			opened:  "Lift below ground: gauge-3/level floor is -3, below -2",
			cleared: "Lift below ground: gauge-3/level floor is back to 0 (clears at -2)",
		},
		{
			name: "window",
			r: rules.Rule{Title: "PM2.5 hourly mean", Kind: rules.Window, Quantity: telemetry.PM2_5,
				Limit: 75, Clear: 60, Window: time.Hour, Aggregate: rules.Mean},
			open: 80.126, clear: 55.5, samples: 12, limit: 75, unit: "ug/m3",
			opened:  "PM2.5 hourly mean: gauge-3/level pm2_5 mean over 1h is 80.13 ug/m3, above 75 (12 readings)",
			cleared: "PM2.5 hourly mean: gauge-3/level pm2_5 mean over 1h is back to 55.5 ug/m3 (clears at 60)",
		},
		{
			name: "window max over 90 minutes",
			r: rules.Rule{Title: "Vibration", Kind: rules.Window, Quantity: telemetry.Vibration,
				Limit: 0.8, Clear: 0.6, Window: 90 * time.Minute, Aggregate: rules.Max},
			open: 0.913, clear: 0.2, samples: 1, limit: 0.8, unit: "m/s2",
			opened:  "Vibration: gauge-3/level vibration max over 1h30m is 0.913 m/s2, above 0.8",
			cleared: "Vibration: gauge-3/level vibration max over 1h30m is back to 0.2 m/s2 (clears at 0.6)",
		},
		{
			name: "period with allowed exceedances",
			r: rules.Rule{Title: "Construction dust 15-minute mean", Kind: rules.Period, Quantity: telemetry.PM10,
				Limit: 250, Clear: 250, Period: 15 * time.Minute, Aggregate: rules.Mean, Allowed: 1},
			open: 312.456, clear: 120, samples: 15, exceedances: 2, limit: 250, unit: "ug/m3",
			opened:  "Construction dust 15-minute mean: gauge-3/level pm10 15m mean is 312.5 ug/m3, above 250 (15 readings); 2 exceedances today, 1 allowed",
			cleared: "Construction dust 15-minute mean: gauge-3/level pm10 15m mean is back to 120 ug/m3 (clears at 250)",
		},
		{
			name: "period of a day",
			r: rules.Rule{Title: "PM2.5 24-hour mean", Kind: rules.Period, Quantity: telemetry.PM2_5,
				Limit: 75, Clear: 75, Period: 24 * time.Hour, Aggregate: rules.Mean},
			open: 76, clear: 40, samples: 24, limit: 75, unit: "ug/m3",
			opened:  "PM2.5 24-hour mean: gauge-3/level pm2_5 24h mean is 76 ug/m3, above 75 (24 readings)",
			cleared: "PM2.5 24-hour mean: gauge-3/level pm2_5 24h mean is back to 40 ug/m3 (clears at 75)",
		},
		{
			name: "period of a year",
			r: rules.Rule{Title: "PM2.5 annual mean", Kind: rules.Period, Quantity: telemetry.PM2_5,
				Limit: 35, Clear: 35, Period: rules.Year, Aggregate: rules.Mean},
			open: 35.2, clear: 34.9, samples: 4000, limit: 35, unit: "ug/m3",
			opened:  "PM2.5 annual mean: gauge-3/level pm2_5 year-to-date mean is 35.2 ug/m3, above 35 (4000 readings)",
			cleared: "PM2.5 annual mean: gauge-3/level pm2_5 year-to-date mean is back to 34.9 ug/m3 (clears at 35)",
		},
		{
			name: "rate",
			r: rules.Rule{Title: "River rising fast", Kind: rules.Rate, Quantity: telemetry.WaterLevel,
				Limit: 0.3, Clear: 0.1, Window: 15 * time.Minute, Per: time.Hour},
			open: 0.4213, clear: 0.05, samples: 4, limit: 0.3, unit: "m/h",
			opened:  "River rising fast: gauge-3/level water_level rate of change over 15m is 0.4213 m/h, above 0.3 (4 readings)",
			cleared: "River rising fast: gauge-3/level water_level rate of change over 15m is back to 0.05 m/h (clears at 0.1)",
		},
		{
			name: "rate just above the plan's limit",
			// The Huangpu plan's rapid-rise: 0.30 m/h, clearing at 0.10.
			r: rules.Rule{Title: "Water level rising fast", Kind: rules.Rate, Quantity: telemetry.WaterLevel,
				Limit: 0.30, Clear: 0.10, Window: 30 * time.Minute, Per: time.Hour},
			open: 0.30437, clear: 0.0999, samples: 5, limit: 0.3, unit: "m/h",
			opened:  "Water level rising fast: gauge-3/level water_level rate of change over 30m is 0.3044 m/h, above 0.3 (5 readings)",
			cleared: "Water level rising fast: gauge-3/level water_level rate of change over 30m is back to 0.0999 m/h (clears at 0.1)",
		},
		{
			name: "rate four figures would show on its limit",
			r: rules.Rule{Title: "Water level rising fast", Kind: rules.Rate, Quantity: telemetry.WaterLevel,
				Limit: 0.30, Clear: 0.10, Window: 30 * time.Minute, Per: time.Hour},
			open: 0.300042, clear: 0.1, samples: 5, limit: 0.3, unit: "m/h",
			// Equal to the clear edge: it clears at 0.1 or below.
			opened:  "Water level rising fast: gauge-3/level water_level rate of change over 30m is 0.30004 m/h, above 0.3 (5 readings)",
			cleared: "Water level rising fast: gauge-3/level water_level rate of change over 30m is back to 0.1 m/h (clears at 0.1)",
		},
		{
			name: "sub-unit values",
			r: rules.Rule{Title: "Car vibration", Kind: rules.Window, Quantity: telemetry.Vibration,
				Limit: 0.004, Clear: 0.0025, Window: 10 * time.Minute, Aggregate: rules.Mean},
			open: 0.0041234, clear: 0.000812, samples: 40, limit: 0.004, unit: "m/s2",
			opened:  "Car vibration: gauge-3/level vibration mean over 10m is 0.004123 m/s2, above 0.004 (40 readings)",
			cleared: "Car vibration: gauge-3/level vibration mean over 10m is back to 0.000812 m/s2 (clears at 0.0025)",
		},
		{
			name: "large values keep their integer digits",
			r: rules.Rule{Title: "Barometer out of range", Kind: rules.Range, Quantity: telemetry.Pressure,
				Min: 30000, Max: 110000.5},
			open: 123456.78, clear: 101325.43, samples: 1, limit: 110000.5, unit: "Pa",
			// A limit with a decimal keeps one on the value.
			opened:  "Barometer out of range: gauge-3/level pressure is 123456.8 Pa, outside the possible 30000 to 110000.5 Pa",
			cleared: "Barometer out of range: gauge-3/level pressure is back in range (101325.4 Pa)",
		},
		{
			name: "mean equal to its limit when cleared",
			r: rules.Rule{Title: "PM2.5 hourly mean", Kind: rules.Window, Quantity: telemetry.PM2_5,
				Limit: 75, Clear: 75, Window: time.Hour, Aggregate: rules.Mean},
			open: 75.00004, clear: 75, samples: 12, limit: 75, unit: "ug/m3",
			opened:  "PM2.5 hourly mean: gauge-3/level pm2_5 mean over 1h is 75.00004 ug/m3, above 75 (12 readings)",
			cleared: "PM2.5 hourly mean: gauge-3/level pm2_5 mean over 1h is back to 75 ug/m3 (clears at 75)",
		},
		{
			name: "rate per minute, falling",
			r: rules.Rule{Title: "Pump sump draining", Kind: rules.Rate, Quantity: telemetry.Distance,
				Below: true, Limit: -20, Clear: -5, Window: 10 * time.Minute, Per: time.Minute},
			open: -31.5, clear: 0, samples: 10, limit: -20, unit: "mm/min",
			opened:  "Pump sump draining: gauge-3/level distance rate of change over 10m is -31.5 mm/min, below -20 (10 readings)",
			cleared: "Pump sump draining: gauge-3/level distance rate of change over 10m is back to 0 mm/min (clears at -5)",
		},
		{
			name: "event",
			r:    rules.Rule{Title: "Passenger trapped", Kind: rules.Event, Quantity: telemetry.EventTrapped},
			open: 1, clear: 0, samples: 1, limit: 1, unit: "1",
			opened:  "Passenger trapped: gauge-3/level reported event_trapped",
			cleared: "Passenger trapped: gauge-3/level event_trapped ended",
		},
		{
			name: "silence",
			r:    rules.Rule{Title: "Dust monitor silent", Kind: rules.Silence, Quantity: telemetry.PM2_5, After: 15 * time.Minute},
			// Since is the last reading, in China Standard Time.
			open: 900, clear: 31, since: 15 * time.Minute, limit: 900, unit: "s",
			opened:  "Dust monitor silent: gauge-3/level sent no pm2_5 since 2026-07-14 16:50:00 CST",
			cleared: "Dust monitor silent: gauge-3/level is sending again",
		},
		{
			name: "stuck",
			r: rules.Rule{Title: "Level sensor stuck", Kind: rules.Stuck, Quantity: telemetry.WaterLevel,
				For: 6 * time.Hour, Tolerance: 0.005},
			open: 3.1, clear: 3.25, since: 6*time.Hour + 5*time.Minute, samples: 1, limit: 21600, unit: "s",
			opened:  "Level sensor stuck: gauge-3/level water_level has stayed at 3.1 m since 2026-07-14 11:00:00 CST",
			cleared: "Level sensor stuck: gauge-3/level water_level moves again (3.25 m)",
		},
		{
			name: "range above",
			r: rules.Rule{Title: "Impossible temperature", Kind: rules.Range, Quantity: telemetry.Temperature,
				Min: -40, Max: 85},
			open: 150, clear: 21.5, samples: 1, limit: 85, unit: "degC",
			opened:  "Impossible temperature: gauge-3/level temperature is 150 degC, outside the possible -40 to 85 degC",
			cleared: "Impossible temperature: gauge-3/level temperature is back in range (21.5 degC)",
		},
		{
			name: "range below",
			r: rules.Rule{Title: "Impossible temperature", Kind: rules.Range, Quantity: telemetry.Temperature,
				Min: -40, Max: 85},
			open: -60, clear: 21.5, samples: 1, limit: -40, unit: "degC",
			opened:  "Impossible temperature: gauge-3/level temperature is -60 degC, outside the possible -40 to 85 degC",
			cleared: "Impossible temperature: gauge-3/level temperature is back in range (21.5 degC)",
		},
		{
			name: "range from zero",
			r: rules.Rule{ID: "level-range", Kind: rules.Range, Quantity: telemetry.WaterLevel,
				Min: 0, Max: 12},
			open: 14.2, clear: 3, samples: 1, limit: 12, unit: "m",
			// No title: the rule's id.
			opened:  "level-range: gauge-3/level water_level is 14.2 m, outside the possible 0 to 12 m",
			cleared: "level-range: gauge-3/level water_level is back in range (3 m)",
		},
		{
			name: "retrospective",
			r: rules.Rule{Title: "Huangpu high water", Kind: rules.Threshold, Quantity: telemetry.WaterLevel,
				Limit: 4.5, Clear: 4.4},
			open: 4.6, clear: 4.3, samples: 1, retro: true, limit: 4.5, unit: "m",
			opened:  "Huangpu high water: gauge-3/level water_level is 4.6 m, above 4.5; found in data that arrived late",
			cleared: "Huangpu high water: gauge-3/level water_level is back to 4.3 m (clears at 4.4)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r
			tr := rules.Transition{Change: rules.Opened, Rule: &r, Device: "gauge-3", Sensor: "level", Time: at,
				Since: at.Add(-tt.since), Value: tt.open, Samples: tt.samples, Exceedances: tt.exceedances, Retrospective: tt.retro}
			if got := openMessage(tr); got != tt.opened {
				t.Errorf("openMessage:\n got %q\nwant %q", got, tt.opened)
			}
			if v := sigfig.String(stored(tr)); shows(r.Kind) && !holds(tt.opened, v) {
				t.Errorf("stored value %s is not the one the message shows", v)
			}
			if got := limitOf(&r, tt.open); got != tt.limit {
				t.Errorf("limit %v, want %v", got, tt.limit)
			}
			if got := unitOf(&r); got != tt.unit {
				t.Errorf("unit %q, want %q", got, tt.unit)
			}
			tr.Change, tr.Time, tr.Value = rules.Cleared, at.Add(time.Hour), tt.clear
			if got := clearMessage(tr); got != tt.cleared {
				t.Errorf("clearMessage:\n got %q\nwant %q", got, tt.cleared)
			}
			if v := sigfig.String(stored(tr)); shows(r.Kind) && !holds(tt.cleared, v) {
				t.Errorf("stored value %s is not the one the clearing message shows", v)
			}
		})
	}
}

func TestSpan(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second:                   "30s",
		time.Minute:                        "1m",
		15 * time.Minute:                   "15m",
		time.Hour:                          "1h",
		90 * time.Minute:                   "1h30m",
		24 * time.Hour:                     "24h",
		time.Hour + 30*time.Second:         "1h0m30s",
		2*time.Hour + 500*time.Millisecond: "2h0m0.5s",
	} {
		if got := span(d); got != want {
			t.Errorf("span(%v) = %q, want %q", d, got, want)
		}
	}
	for d, want := range map[time.Duration]string{
		time.Second: "s", time.Minute: "min", time.Hour: "h", 24 * time.Hour: "day", 15 * time.Minute: "15m",
	} {
		if got := per(d); got != want {
			t.Errorf("per(%v) = %q, want %q", d, got, want)
		}
	}
}

// shows reports whether a rule kind's messages show the value its alerts
// store: a stuck or silent stream's store how long, in seconds.
func shows(k rules.Kind) bool { return k != rules.Stuck && k != rules.Silence && k != rules.Event }

// holds reports whether msg shows the number n whole: not as part of a
// longer number.
func holds(msg, n string) bool {
	for i := 0; ; {
		j := strings.Index(msg[i:], n)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(n)
		before := start == 0 || strings.IndexByte(" (", msg[start-1]) >= 0
		after := end == len(msg) || strings.IndexByte("0123456789.", msg[end]) < 0
		if before && after {
			return true
		}
		i = start + 1
	}
}
