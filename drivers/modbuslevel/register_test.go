package modbuslevel

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/telemetry"
)

// radarSpec is the config of the sensor under test, but for its params.
var radarSpec = sensor.Spec{Name: "radar", Driver: "modbuslevel", Serial: sensor.Serial{Port: "/dev/ttyUSB0"}}

func openSensor(t *testing.T, params map[string]string, e sensor.Env) (sensor.Sensor, error) {
	t.Helper()
	spec := radarSpec
	spec.Params = params
	return sensortest.Open(t, "modbuslevel", spec, e)
}

func TestSensor(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		req    []byte
		resp   []byte
		q      telemetry.Quantity
		want   float64
	}{
		{"distance in mm", map[string]string{"register": "0"}, reqH0x1, resp1234, telemetry.Distance, 1234},
		{"distance from cm", map[string]string{"register": "0", "unit": "cm"}, reqH0x1, resp1234, telemetry.Distance, 12340},
		{"water level from a float in m", map[string]string{"register": "0x0000", "type": "float32", "count": "2", "quantity": "water_level"}, reqH0x2, respFloat, telemetry.WaterLevel, 3.25},
		{"level = height − distance", map[string]string{"register": "0", "quantity": "water_level", "unit": "m", "scale": "-0.001", "offset": "12.5"}, reqH0x1, resp1234, telemetry.WaterLevel, 11.266},
		{"input registers, slave 7", map[string]string{"register": "256", "slave": "7", "function": "4", "type": "float32", "word_order": "little", "unit": "m"},
			reqI7at100x2, respFloatLow, telemetry.Distance, 3250},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := &sensortest.Port{Conn: playback(t, ops(exchangeOps(tt.req, tt.resp), exchangeOps(tt.req, tt.resp)))}
			e := &sensortest.Env{Port: port}
			s, err := openSensor(t, tt.params, e)
			if err != nil {
				t.Fatal(err)
			}
			if len(e.Asked) != 1 || e.Asked[0] != (sensor.Serial{Port: "/dev/ttyUSB0", Baud: 9600}) {
				t.Errorf("opened %+v, want /dev/ttyUSB0 at 9600", e.Asked)
			}
			sensortest.CheckSense(t, s, "radar", sensortest.Want{Quantity: tt.q, Value: tt.want})
			sensortest.CheckCloseOnce(t, s, func() int { return port.Closes })
		})
	}
}

func TestParams(t *testing.T) {
	c, err := parseParams(map[string]string{"register": "0"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if c.opts != (Opts{Slave: 1, Function: 3, Format: Format{Scale: 1, Unit: physic.MilliMetre}}) || c.q != telemetry.Distance || c.slaveSet || c.functionSet {
		t.Errorf("defaults %+v", c)
	}
	c, err = parseParams(map[string]string{"register": "0x10", "slave": "247", "function": "4", "type": "int32", "word_order": "little",
		"scale": "0.5", "offset": "-3", "unit": "m", "quantity": "water_level", "timeout": "300ms"}, true)
	if err != nil {
		t.Fatal(err)
	}
	want := Opts{Slave: 247, Function: 4, Register: 0x10, Timeout: 300 * time.Millisecond,
		Format: Format{Type: Int32, WordOrder: LowWordFirst, Scale: 0.5, Offset: -3, Unit: physic.Metre}}
	if c.opts != want || c.q != telemetry.WaterLevel || !c.slaveSet || !c.functionSet {
		t.Errorf("parsed %+v", c)
	}
}

func TestSensorErrors(t *testing.T) {
	r0 := func(kv ...string) map[string]string {
		m := map[string]string{"register": "0"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	sensortest.RunErrorCases(t, "modbuslevel", radarSpec, nil, []sensortest.ErrorCase{
		{Name: "no register", Want: []string{`sensor "radar"`, "modbuslevel", "param register is required"}},
		{Name: "register", Params: r0("register", "65536"), Want: []string{`register="65536"`, "0–65535"}},
		{Name: "slave 0", Params: r0("slave", "0"), Want: []string{`slave="0"`, "1–247"}},
		{Name: "slave 248", Params: r0("slave", "248"), Want: []string{`slave="248"`}},
		{Name: "function", Params: r0("function", "6"), Want: []string{`function="6"`, "3 (read holding registers) or 4"}},
		{Name: "type", Params: r0("type", "float64"), Want: []string{`type="float64"`, "uint16, int16, uint32, int32, float32"}},
		{Name: "count against type", Params: r0("count", "2"), Want: []string{`count="2"`, "type uint16 takes 1"}},
		{Name: "count", Params: r0("count", "3"), Want: []string{`count="3"`, "1 or 2"}},
		{Name: "word_order", Params: r0("word_order", "ABCD"), Want: []string{`word_order="ABCD"`, `"big"`, `"little"`}},
		{Name: "scale", Params: r0("scale", "0"), Want: []string{`scale="0"`, "non-zero"}},
		{Name: "offset", Params: r0("offset", "Inf"), Want: []string{`offset="Inf"`}},
		{Name: "unit", Params: r0("unit", "ft"), Want: []string{`unit="ft"`, `"mm", "cm" or "m"`}},
		{Name: "quantity", Params: r0("quantity", "level"), Want: []string{`quantity="level"`, `"distance" (reported in mm) or "water_level" (reported in m)`}},
		{Name: "timeout", Params: r0("timeout", "1m"), Want: []string{`timeout="1m"`, "10ms to 10s"}},
		{Name: "unknown", Params: r0("baud", "9600"), Want: []string{"unknown param baud", "word_order"}},
	})
}

func TestSensorOpenErrors(t *testing.T) {
	_, err := openSensor(t, map[string]string{"register": "0"}, &sensortest.Env{Err: errors.New("no such port")})
	if err == nil || !strings.Contains(err.Error(), `sensor "radar": modbuslevel: open /dev/ttyUSB0: no such port`) {
		t.Errorf("port fails: %v", err)
	}
	// The slave refuses the probe: the port is closed again.
	port := &sensortest.Port{Conn: playback(t, exchangeOps(reqH0x1, excAddress))}
	_, err = openSensor(t, map[string]string{"register": "0"}, &sensortest.Env{Port: port})
	if err == nil || !strings.Contains(err.Error(), `sensor "radar": modbuslevel: slave 1 refused function 0x03: exception 0x02`) || port.Closes != 1 {
		t.Errorf("probe refused: %v; port closed %d times", err, port.Closes)
	}
}

func TestSenseErrors(t *testing.T) {
	port := &sensortest.Port{Conn: playback(t, ops(exchangeOps(reqH0x2, respFloat), exchangeOps(reqH0x2, respNaN), exchangeOps(reqH0x2, flip(respFloat, 3))))}
	s, err := openSensor(t, map[string]string{"register": "0", "type": "float32"}, &sensortest.Env{Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Sense(context.Background()); !errors.Is(err, ErrValue) {
		t.Errorf("NaN: Sense = %v, want ErrValue", err)
	}
	if _, err := s.Sense(context.Background()); !errors.Is(err, ErrCRC) {
		t.Errorf("corrupted: Sense = %v, want ErrCRC", err)
	}
	if !strings.HasPrefix(s.String(), "radar (modbuslevel slave 1 register 0x0000") {
		t.Errorf("String = %q", s.String())
	}
}
