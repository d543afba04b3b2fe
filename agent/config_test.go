package agent

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/agent/edge"
	"github.com/xiuhua/xiuhua/agent/outbox"
	"github.com/xiuhua/xiuhua/agent/sampler"
	"github.com/xiuhua/xiuhua/agent/uplink"
	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/telemetry"
)

// A config's calibration reaches the sampler and its alarms are judged on
// every sample the agent stores: the events are committed with the sample,
// in the urgent lane.
func TestConfigAlarmsAndCalibration(t *testing.T) {
	dir := t.TempDir()
	cfg, err := configs.ParseAgent(filepath.Join(dir, "gauge.yaml"), []byte(`device: {id: gauge-1}
sensors:
  - name: well
    driver: ads1115level
    i2c: {bus: "1", address: 0x48}
    params: {channel: 0, shunt_ohms: 150, low: 0, high: 10}
    calibration: {water_level: {scale: 1.5, offset: -0.25}}
edge:
  alarms:
    - {name: high_water, quantity: water_level, above: 4.5, clear: 4.25}
    - {name: low_water, quantity: water_level, sensor: well, below: 0.5}
outbox: {path: outbox.db}
uplink: {broker: "tcp://127.0.0.1:1"}
clock: {require_sync: false}
`))
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg, noHardware{}, Opts{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := calibration(cfg.Sensors[0].Calibration), map[telemetry.Quantity]sampler.Linear{telemetry.WaterLevel: {Scale: 1.5, Offset: -0.25}}; !reflect.DeepEqual(got, want) {
		t.Errorf("calibration = %+v, want %+v", got, want)
	}
	if got, want := alarms(cfg.Edge.Alarms), []edge.Alarm{
		{Name: "high_water", Quantity: telemetry.WaterLevel, Limit: 4.5, Clear: 4.25},
		{Name: "low_water", Quantity: telemetry.WaterLevel, Sensor: "well", Below: true, Limit: 0.5, Clear: 0.5},
	}; !reflect.DeepEqual(got, want) {
		t.Errorf("alarms = %+v, want %+v", got, want)
	}

	ob, err := outbox.Open(cfg.Outbox.Path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	up, err := uplink.New(cfg.Device.ID, ob, uplink.Opts{Broker: cfg.Uplink.Broker})
	if err != nil {
		t.Fatal(err)
	}
	a.ob, a.up = ob, up
	a.synced.Store(true)

	t0 := time.Date(2026, 7, 20, 2, 0, 0, 0, time.UTC)
	for i, v := range []float64{4.4, 4.6, 4.3, 4.25} {
		r := telemetry.Reading{Sensor: "well", Quantity: telemetry.WaterLevel, Value: v, Time: t0.Add(time.Duration(i) * time.Minute)}
		if err := a.store(context.Background(), []telemetry.Reading{r}); err != nil {
			t.Fatal(err)
		}
	}
	es, err := ob.Pending(outbox.Urgent, 0, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []telemetry.Record
	for _, e := range es {
		got = append(got, *e.Record)
	}
	want := []telemetry.Record{
		{Seq: 3, Reading: telemetry.Reading{Sensor: "well", Quantity: "event_high_water", Value: 1, Time: t0.Add(time.Minute)}},
		{Seq: 6, Reading: telemetry.Reading{Sensor: "well", Quantity: "event_high_water", Value: 0, Time: t0.Add(3 * time.Minute)}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("urgent lane:\n got %+v\nwant %+v", got, want)
	}
}
