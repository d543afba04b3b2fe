package scenario

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	_ "github.com/xiuhua/xiuhua/drivers/ads1115level"
	drvadxl "github.com/xiuhua/xiuhua/drivers/adxl345"
	_ "github.com/xiuhua/xiuhua/drivers/bmp280"
	_ "github.com/xiuhua/xiuhua/drivers/door"
	_ "github.com/xiuhua/xiuhua/drivers/ld2410"
	_ "github.com/xiuhua/xiuhua/drivers/modbuslevel"
	_ "github.com/xiuhua/xiuhua/drivers/mpu6050"
	_ "github.com/xiuhua/xiuhua/drivers/pir"
	_ "github.com/xiuhua/xiuhua/drivers/pms5003"
	_ "github.com/xiuhua/xiuhua/drivers/raingauge"
	_ "github.com/xiuhua/xiuhua/drivers/sds011"
	"github.com/xiuhua/xiuhua/drivers/sensor"
	_ "github.com/xiuhua/xiuhua/drivers/sps30"
	_ "github.com/xiuhua/xiuhua/drivers/ultrasonic"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/simulator/chip/gpiopin"
	"github.com/xiuhua/xiuhua/telemetry"
)

// fakeClock is the rig's wall clock, which a test sets.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// rigTest is a scenario from testdata mounted and running, with the real
// drivers open on its chips through the board, as an agent opens them.
type rigTest struct {
	t       *testing.T
	rig     *Rig
	board   *board.Board
	clk     *fakeClock
	sensors map[string]sensor.Sensor
	specs   map[string]sensor.Spec
}

func mountTest(t *testing.T, file string, params map[string]map[string]string) *rigTest {
	t.Helper()
	s, err := Load("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	rt := &rigTest{t: t, board: board.New(), clk: &fakeClock{t: time.Date(2026, 9, 15, 6, 0, 0, 0, time.UTC)},
		sensors: map[string]sensor.Sensor{}, specs: map[string]sensor.Spec{}}
	rt.rig, err = Mount(s, rt.board, &MountOpts{Now: rt.clk.Now})
	if err != nil {
		t.Skipf("cannot mount (no pseudo-terminals here?): %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rt.rig.Run(ctx) }()
	t.Cleanup(func() {
		rt.clk.Set(rt.rig.Clock().Wall0) // before the faults, so that drivers can halt their chips
		for name, s := range rt.sensors {
			if err := s.Close(); err != nil {
				t.Errorf("close %s: %v", name, err)
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if err := rt.rig.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	for _, spec := range rt.rig.Specs() {
		for k, v := range params[spec.Name] {
			spec.Params[k] = v
		}
		open, err := sensor.Lookup(spec.Driver)
		if err != nil {
			t.Fatal(err)
		}
		sen, err := open(context.Background(), spec, rt.board)
		if err != nil {
			t.Fatalf("open %s: %v", spec.Name, err)
		}
		rt.sensors[spec.Name], rt.specs[spec.Name] = sen, spec
	}
	return rt
}

// at sets the rig's clock to scenario time d, and waits for the UART
// chips' periodic frames built before to be gone (drivers flush their
// input before they measure).
func (rt *rigTest) at(d time.Duration) {
	rt.clk.Set(rt.rig.Clock().Wall(d))
	time.Sleep(150 * time.Millisecond)
}

// sense reads the named sensor: its latest reading of each quantity.
func (rt *rigTest) sense(name string) map[telemetry.Quantity]telemetry.Reading {
	rt.t.Helper()
	rs, err := rt.sensors[name].Sense(context.Background())
	if err != nil {
		rt.t.Fatalf("%s: %v", name, err)
	}
	m := map[telemetry.Quantity]telemetry.Reading{}
	for _, r := range rs {
		m[r.Quantity] = r
	}
	return m
}

// fails reads the named sensor and checks its error.
func (rt *rigTest) fails(name, want string) {
	rt.t.Helper()
	rs, err := rt.sensors[name].Sense(context.Background())
	if err == nil || err.Error() != want {
		rt.t.Errorf("%s: %v, %v; want the error %q", name, rs, err, want)
	}
}

// pin waits until the named pin is at level l and its driver has taken
// every edge and waits between bursts again.
func (rt *rigTest) pin(name string, l gpio.Level) {
	rt.t.Helper()
	p, err := rt.board.Pin(name)
	if err != nil {
		rt.t.Fatal(err)
	}
	pin := p.(*gpiopin.Pin)
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := pin.Stats()
		if pin.Read() == l && st.Queued == 0 && st.Waiting > 100*time.Millisecond {
			return
		}
		if time.Now().After(deadline) {
			rt.t.Fatalf("%s: level %v, %+v; want %v, settled", name, pin.Read(), st, l)
		}
		time.Sleep(time.Millisecond)
	}
}

func within(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.9g, want %.9g ± %g", what, got, want, tol)
	}
}

// TestRiverChips reads the tide through the real drivers of the three
// level sensors and the rain gauge, and their faults as the drivers
// report them.
func TestRiverChips(t *testing.T) {
	rt := mountTest(t, "river-chips.yaml", nil)
	river := rt.rig.Scenario().River
	if got := rt.sense("rain")[telemetry.Rainfall].Value; got != 0 {
		t.Errorf("rain before any fell: %v mm", got)
	}
	// The ADS1115 resolves 125 µV, through 100 Ω 1.25 µA: 0.78 mm of a
	// 10 m span on 16 mA.
	const adcM = 4.096 / 32768 / 100 / 0.016 * 10
	for _, at := range []time.Duration{0, 15 * time.Minute, 25 * time.Minute} {
		rt.at(at)
		level := river.Level(at)
		mm := math.Round(1000 * (6.5 - level))
		sonar := rt.sense("sonar")
		within(t, fmt.Sprintf("sonar distance at %v", at), sonar[telemetry.Distance].Value, mm, 0)
		within(t, fmt.Sprintf("sonar level at %v", at), sonar[telemetry.WaterLevel].Value, 6.5-mm/1000, 1e-9)
		well := rt.sense("well")
		within(t, fmt.Sprintf("well level at %v", at), well[telemetry.WaterLevel].Value, level, adcM/2)
		within(t, fmt.Sprintf("well loop at %v", at), well[telemetry.LoopCurrent].Value, 4+16*(level+2)/10, 0.00125/2)
		// The radar holds the distance in m as a float32; the driver
		// works in physic's whole nanometres.
		radar := rt.sense("radar")
		within(t, fmt.Sprintf("radar level at %v", at), radar[telemetry.WaterLevel].Value, 7.25-radarM(level), 1e-9)
	}
	// 25 scenario minutes of rain rising at 1 mm/h a minute is 5.21 mm:
	// ten tips of the 0.5 mm bucket, each counted once.
	g := rt.rig.Gauge("rain")
	deadline := time.Now().Add(30 * time.Second)
	for st := g.Stats(); st.Tips != 10 || st.Owed != 0 || st.Closed; st = g.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("rain gauge %+v: want 10 tips", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
	rt.pin("GPIO17", gpio.High)
	if got := rt.sense("rain")[telemetry.Rainfall].Value; got != 5 {
		t.Errorf("rain after 25 min: %v mm, want 5", got)
	}

	// From 30 to 40 min: garbage on the sonar's line, the loop at 3.5 mA
	// (a broken loop under NAMUR NE 43), the radar stuck.
	rt.at(35 * time.Minute)
	// Every 4-byte frame arrives as ff 12 34 00: a false start whose
	// checksum fails (one byte skipped), then three bytes without a start.
	// The driver gives up once it has skipped more than 32 bytes: at the
	// ninth false start, 8×4+1 = 33.
	rt.fails("sonar", "ultrasonic: bad checksum: 9 corrupted frames and no good one in 33 bytes")
	well := rt.sense("well")
	if lc, wl := well[telemetry.LoopCurrent], well[telemetry.WaterLevel]; lc.Value != 3.5 || lc.Quality != telemetry.Bad ||
		wl.Value != -2.3125 || wl.Quality != telemetry.Bad {
		t.Errorf("broken loop: loop %+v, level %+v; want 3.5 mA and -2.3125 m, both bad", lc, wl)
	}
	within(t, "stuck radar", rt.sense("radar")[telemetry.WaterLevel].Value, 7.25-radarM(river.Level(30*time.Minute)), 1e-9)
	if river.Level(35*time.Minute)-river.Level(30*time.Minute) < 0.01 {
		t.Fatal("the test needs the level to move while the radar is stuck")
	}
	if st := rt.rig.Line("sonar").Stats(); st.Garbled == 0 {
		t.Errorf("sonar line %+v: nothing garbled", st)
	}

	// From 50 to 60 min every level sensor is unplugged.
	rt.at(55 * time.Minute)
	rt.fails("sonar", "ultrasonic: read: tty: read timed out: "+rt.specs["sonar"].Serial.Port+": got 0 of 4 bytes in 2s")
	rt.fails("well", "ads1115level: start conversion: i2c 1: no device answers at 0x49 (NACK)")
	rt.fails("radar", "modbuslevel: no response from slave 7 within 1s")

	// And back.
	rt.at(65 * time.Minute)
	within(t, "sonar after the faults", rt.sense("sonar")[telemetry.Distance].Value, math.Round(1000*(6.5-river.Level(65*time.Minute))), 0)
	if wl := rt.sense("well")[telemetry.WaterLevel]; wl.Quality != telemetry.Good {
		t.Errorf("well after the faults: %+v", wl)
	}
}

// radarM is what modbusradar.Radar's holding registers 1–2 say for the
// level: the distance from a 7.25 m mount, in m, as a float32.
func radarM(level float64) float64 { return float64(float32(1000 * (7.25 - level) / 1000)) }

// TestDustChips reads the dust through the three dust drivers.
func TestDustChips(t *testing.T) {
	rt := mountTest(t, "dust-chips.yaml", nil)
	d := *rt.rig.Scenario().Dust
	d.Start = rt.rig.Scenario().Start
	for _, at := range []time.Duration{0, 5 * time.Minute} {
		rt.at(at)
		pm1, pm25, pm10 := d.PM(d.Start.Add(at))
		sps := rt.sense("sps")
		for q, want := range map[telemetry.Quantity]float64{telemetry.PM1: pm1, telemetry.PM2_5: pm25, telemetry.PM10: pm10} {
			if got := sps[q].Value; got != float64(float32(want)) {
				t.Errorf("sps30 %s at %v: %v, want %v", q, at, got, float32(want))
			}
		}
		sds := rt.sense("sds")
		if got := sds[telemetry.PM2_5].Value; got != math.Round(pm25*10)/10 {
			t.Errorf("sds011 PM2.5 at %v: %v, want %.1f", at, got, pm25)
		}
		// The PMS5003 is stuck from 30 s: at 5 min it still says what it
		// saw then.
		stuck := at
		if at > 30*time.Second {
			stuck = 30 * time.Second
		}
		_, want, _ := d.PM(d.Start.Add(stuck))
		if got := rt.sense("pms")[telemetry.PM2_5].Value; got != math.Round(want) {
			t.Errorf("pms5003 PM2.5 at %v: %v, want %v", at, got, math.Round(want))
		}
	}
	if _, pm25, _ := d.PM(d.Start); pm25 != 50 {
		t.Errorf("PM2.5 at 14:00, the daily peak: %v, want 40 + 10", pm25)
	}
}

// TestElevatorChips reads the car through every elevator driver at
// chosen instants of tianlin-lift's timeline (see TestElevatorTimeline).
func TestElevatorChips(t *testing.T) {
	rt := mountTest(t, "lift-chips.yaml", map[string]map[string]string{"door": {"debounce": "20ms"}, "pir": {"debounce": "20ms"}})
	lift := rt.rig.Scenario().Elevator
	adxl := func(a float64) float64 { return math.Round(a/G*256) * drvadxl.Scale }
	mpu := func(a float64) float64 { return math.Round(a/G*16384) / 16384 * G }
	cases := []struct {
		at           time.Duration
		door, pir    float64
		presence, mm float64
		accel        float64
	}{
		{0, 0, 0, 0, 0, G},
		{sec(3.5), 1, 1, 1, 1200, G},
		{sec(8.5), 0, 0, 2, 900, G + 0.8},
		{sec(20.75), 0, 0, 2, 900, G - 0.8},
		{sec(50), 0, 0, 2, 900, G},
	}
	for _, c := range cases {
		rt.at(c.at)
		rt.pin("GPIO22", c.door == 1)
		rt.pin("GPIO23", c.pir == 1)
		if got := rt.sense("door")[telemetry.DoorOpen].Value; got != c.door {
			t.Errorf("door at %v: %v, want %v", c.at, got, c.door)
		}
		if got := rt.sense("pir")[telemetry.Presence].Value; got != c.pir {
			t.Errorf("pir at %v: %v, want %v", c.at, got, c.pir)
		}
		radar := rt.sense("radar")
		if got := radar[telemetry.Presence].Value; got != c.presence || c.mm > 0 && radar[telemetry.Distance].Value != c.mm {
			t.Errorf("radar at %v: %+v, want presence %v at %v mm", c.at, radar, c.presence, c.mm)
		}
		if got := rt.sense("accel")[telemetry.AccelZ].Value; math.Abs(got-adxl(c.accel)) > 1e-12 {
			t.Errorf("adxl345 at %v: %v, want %v", c.at, got, adxl(c.accel))
		}
		within(t, fmt.Sprintf("mpu6050 at %v", c.at), rt.sense("imu")[telemetry.AccelZ].Value, mpu(c.accel), 1e-9)
		// 16× oversampling resolves 0.1 Pa (the emulator's documented
		// round trip).
		within(t, fmt.Sprintf("bmp280 at %v", c.at), rt.sense("baro")[telemetry.Pressure].Value, lift.Pressure(c.at), 0.1)
	}

	// At 10 min the accelerometer is unplugged and noise drowns the
	// radar's line.
	rt.at(10 * time.Minute)
	rt.fails("accel", "adxl345: read DATAX0..DATAZ1: i2c 1: no device answers at 0x53 (NACK)")
	rt.fails("radar", "ld2410: no frame in 300 bytes")
}
