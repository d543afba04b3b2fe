package configapply

import (
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/agent"
	"github.com/xiuhua/xiuhua/agent/sampler"
	"github.com/xiuhua/xiuhua/agent/uplink"
	"github.com/xiuhua/xiuhua/configs"
)

func parse(t *testing.T, yaml string) *configs.Agent {
	t.Helper()
	cfg, err := configs.ParseAgent("/etc/xiuhua/agent.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

const threeSensors = `device: {id: gauge-1}
sensors:
  - {name: level, driver: ultrasonic, serial: {port: /dev/ttyS9}}
  - {name: tide, driver: ads1115level, i2c: {bus: "1", address: 0x49}}
  - {name: rain, driver: raingauge, pins: {input: GPIO17}}
outbox: {path: outbox.db}
uplink: {broker: "tcp://10.0.0.9:1883"}
`

func TestUnhealthy(t *testing.T) {
	cfg := parse(t, threeSensors)
	healthy := func() agent.Status {
		return agent.Status{
			Samplers: map[string]sampler.Stats{"level": {Readings: 2}, "tide": {Readings: 2}, "rain": {Readings: 1}},
			Good:     map[string]uint64{"level": 2, "tide": 1, "rain": 1},
			Uplink:   uplink.Stats{Connected: true},
		}
	}
	for _, tc := range []struct {
		name   string
		change func(*agent.Status)
		want   string
	}{
		{"healthy", func(*agent.Status) {}, ""},
		{"port absent", func(s *agent.Status) {
			s.Good["level"] = 0
			s.Samplers["level"] = sampler.Stats{OpenErrs: 3,
				LastErr: `sensor "level": ultrasonic: open /dev/ttyS9: tty: open /dev/ttyS9: no such file or directory`}
		}, `sensor "level" (ultrasonic on /dev/ttyS9) gave no reading within 30s: ultrasonic: open /dev/ttyS9: tty: open /dev/ttyS9: no such file or directory`},
		{"only bad readings", func(s *agent.Status) {
			s.Good["tide"] = 0
			s.Samplers["tide"] = sampler.Stats{Readings: 4}
		}, `sensor "tide" (ads1115level on I2C bus 1 at 0x49) gave no good reading within 30s (4 readings, none good)`},
		{"silent, no error yet", func(s *agent.Status) {
			s.Good["rain"] = 0
			s.Samplers["rain"] = sampler.Stats{}
		}, `sensor "rain" (raingauge on input GPIO17) gave no reading within 30s`},
		{"uplink down", func(s *agent.Status) {
			s.Uplink.Connected = false
			s.Uplink.ConnectErr = "uplink: connect to tcp://10.0.0.9:1883: dial tcp 10.0.0.9:1883: connect: connection refused"
		}, `uplink did not connect to tcp://10.0.0.9:1883 within 30s: dial tcp 10.0.0.9:1883: connect: connection refused`},
		{"everything", func(s *agent.Status) {
			s.Good = map[string]uint64{}
			s.Samplers = map[string]sampler.Stats{}
			s.Uplink.Connected = false
		}, `sensor "level" (ultrasonic on /dev/ttyS9) gave no reading within 30s; ` +
			`sensor "tide" (ads1115level on I2C bus 1 at 0x49) gave no reading within 30s; ` +
			`sensor "rain" (raingauge on input GPIO17) gave no reading within 30s; ` +
			`uplink did not connect to tcp://10.0.0.9:1883 within 30s`},
	} {
		st := healthy()
		tc.change(&st)
		if got := unhealthy(cfg, st, 30*time.Second); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		s    configs.Sensor
		want string
	}{
		{configs.Sensor{Driver: "pms5003", Serial: configs.Serial{Port: "/dev/ttyAMA0"}}, "pms5003 on /dev/ttyAMA0"},
		{configs.Sensor{Driver: "sps30", I2C: configs.I2C{Bus: "1", Address: 0x69}}, "sps30 on I2C bus 1 at 0x69"},
		{configs.Sensor{Driver: "ebike", Pins: map[string]string{"relay": "GPIO25", "input": "GPIO24"}}, "ebike on input GPIO24, relay GPIO25"},
		{configs.Sensor{Driver: "virtual"}, "virtual"},
	} {
		if got := describe(tc.s); got != tc.want {
			t.Errorf("describe(%+v) = %q, want %q", tc.s, got, tc.want)
		}
	}
}
