package edge

import (
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

func TestAlarms(t *testing.T) {
	t0 := time.Date(2026, 7, 20, 2, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	level := func(sensor string, s int, v float64) telemetry.Reading {
		return telemetry.Reading{Sensor: sensor, Quantity: telemetry.WaterLevel, Value: v, Time: at(s)}
	}
	ev := func(sensor, name string, s int, v float64) telemetry.Reading {
		return telemetry.Reading{Sensor: sensor, Quantity: telemetry.Quantity("event_" + name), Value: v, Time: at(s)}
	}
	high := Alarm{Name: "high_water", Quantity: telemetry.WaterLevel, Limit: 4.5, Clear: 4.3}
	tests := []struct {
		name   string
		alarms []Alarm
		in     []telemetry.Reading
		want   []telemetry.Reading
	}{{
		name:   "raised strictly above, ended at clear, hysteresis holds between",
		alarms: []Alarm{high},
		in: []telemetry.Reading{
			level("sonar", 0, 4.5),  // at the limit: not beyond
			level("sonar", 1, 4.51), // raised
			level("sonar", 2, 4.6),  // already raised: nothing
			level("sonar", 3, 4.4),  // in the band: still raised
			level("sonar", 4, 4.3),  // at clear: ended
			level("sonar", 5, 4.4),  // in the band, ended: nothing
			level("sonar", 6, 4.7),  // raised again
		},
		want: []telemetry.Reading{ev("sonar", "high_water", 1, 1), ev("sonar", "high_water", 4, 0), ev("sonar", "high_water", 6, 1)},
	}, {
		name:   "below alarm without hysteresis",
		alarms: []Alarm{{Name: "sump_high", Quantity: telemetry.Distance, Below: true, Limit: 800, Clear: 800}},
		in: []telemetry.Reading{
			{Sensor: "sump", Quantity: telemetry.Distance, Value: 799, Time: at(0)},
			{Sensor: "sump", Quantity: telemetry.Distance, Value: 800, Time: at(1)},
		},
		want: []telemetry.Reading{ev("sump", "sump_high", 0, 1), ev("sump", "sump_high", 1, 0)},
	}, {
		name:   "each sensor's stream on its own",
		alarms: []Alarm{high},
		in:     []telemetry.Reading{level("sonar", 0, 5), level("well", 1, 5), level("sonar", 2, 4), level("well", 3, 4.4)},
		want:   []telemetry.Reading{ev("sonar", "high_water", 0, 1), ev("well", "high_water", 1, 1), ev("sonar", "high_water", 2, 0)},
	}, {
		name:   "a named sensor only",
		alarms: []Alarm{{Name: "well_high", Quantity: telemetry.WaterLevel, Sensor: "well", Limit: 4.5, Clear: 4.5}},
		in:     []telemetry.Reading{level("sonar", 0, 5), level("well", 1, 5)},
		want:   []telemetry.Reading{ev("well", "well_high", 1, 1)},
	}, {
		name:   "other quantities, and bad or suspect readings, are not judged",
		alarms: []Alarm{high},
		in: []telemetry.Reading{
			{Sensor: "sonar", Quantity: telemetry.Distance, Value: 9000, Time: at(0)},
			{Sensor: "sonar", Quantity: telemetry.WaterLevel, Value: 9, Time: at(1), Quality: telemetry.Bad},
			{Sensor: "sonar", Quantity: telemetry.WaterLevel, Value: 9, Time: at(2), Quality: telemetry.Suspect},
			{Sensor: "sonar", Quantity: telemetry.WaterLevel, Value: 9, Time: at(3), Quality: telemetry.Warming},
		},
		want: []telemetry.Reading{ev("sonar", "high_water", 3, 1)},
	}, {
		name: "two alarms on one quantity",
		alarms: []Alarm{high, {Name: "very_high", Quantity: telemetry.WaterLevel, Limit: 5, Clear: 4.8},
			{Name: "low_water", Quantity: telemetry.WaterLevel, Below: true, Limit: 0.5, Clear: 0.7}},
		in: []telemetry.Reading{level("sonar", 0, 5.2), level("sonar", 1, 0.2), level("sonar", 2, 0.7)},
		want: []telemetry.Reading{
			ev("sonar", "high_water", 0, 1), ev("sonar", "very_high", 0, 1),
			ev("sonar", "high_water", 1, 0), ev("sonar", "very_high", 1, 0), ev("sonar", "low_water", 1, 1),
			ev("sonar", "low_water", 2, 0),
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := NewAlarms(tc.alarms)
			if err != nil {
				t.Fatal(err)
			}
			// One reading at a time and all at once give the same events.
			var got []telemetry.Reading
			for _, r := range tc.in {
				got = append(got, a.Observe([]telemetry.Reading{r})...)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("one at a time:\n got %+v\nwant %+v", got, tc.want)
			}
			b, _ := NewAlarms(tc.alarms)
			if got := b.Observe(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("all at once:\n got %+v\nwant %+v", got, tc.want)
			}
			for _, e := range got {
				if !e.Quantity.IsEvent() {
					t.Errorf("%s is not an event quantity: it would not take the urgent lane", e.Quantity)
				}
			}
		})
	}
}

func TestNewAlarmsRejects(t *testing.T) {
	ok := Alarm{Name: "high", Quantity: telemetry.WaterLevel, Limit: 4, Clear: 3}
	for name, tc := range map[string]struct {
		alarms []Alarm
		want   string
	}{
		"bad name":       {[]Alarm{{Name: "High!", Quantity: telemetry.WaterLevel}}, "edge: bad alarm 0 (High!): name must be 1 to 32 lower-case letters, digits or '_'"},
		"twice":          {[]Alarm{ok, ok}, "edge: bad alarm 1 (high): name used twice"},
		"no quantity":    {[]Alarm{{Name: "x"}}, "edge: bad alarm 0 (x): no quantity"},
		"clear beyond":   {[]Alarm{{Name: "x", Quantity: telemetry.PM10, Limit: 4, Clear: 5}}, "edge: bad alarm 0 (x): clear 5 is beyond the limit 4"},
		"below, beyond":  {[]Alarm{{Name: "x", Quantity: telemetry.PM10, Below: true, Limit: 4, Clear: 3}}, "edge: bad alarm 0 (x): clear 3 is beyond the limit 4"},
		"infinite limit": {[]Alarm{{Name: "x", Quantity: telemetry.PM10, Limit: math.Inf(1), Clear: 3}}, "edge: bad alarm 0 (x): limit and clear must be finite"},
	} {
		_, err := NewAlarms(tc.alarms)
		if !errors.Is(err, ErrBadAlarm) || err.Error() != tc.want {
			t.Errorf("%s: err = %v, want %s", name, err, tc.want)
		}
	}
}
