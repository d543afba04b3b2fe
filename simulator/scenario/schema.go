package scenario

import (
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/configs"
)

// The file's shape. Optional numbers are pointers so that "not given"
// and 0 differ where 0 is a value (a temperature of 0 °C, channel 0).

type fileScenario struct {
	Kind        string        `yaml:"kind"`
	ID          string        `yaml:"id"`
	Name        string        `yaml:"name"`
	Story       string        `yaml:"story"`
	Compression *float64      `yaml:"compression"`
	Start       string        `yaml:"start"`
	River       *fileRiver    `yaml:"river"`
	Dust        *fileDust     `yaml:"dust"`
	Elevator    *fileElevator `yaml:"elevator"`
	Sensors     []fileSensor  `yaml:"sensors"`
	Faults      []fileFault   `yaml:"faults"`
}

type fileRiver struct {
	MeanM      float64          `yaml:"mean_m"`
	AmplitudeM float64          `yaml:"amplitude_m"`
	Period     configs.Duration `yaml:"period"`
	HighWater  configs.Duration `yaml:"high_water"`
	Surge      *fileSurge       `yaml:"surge"`
	Rain       []fileRain       `yaml:"rain"`
}

type fileSurge struct {
	Start configs.Duration `yaml:"start"`
	Rise  configs.Duration `yaml:"rise"`
	PeakM float64          `yaml:"peak_m"`
	Hold  configs.Duration `yaml:"hold"`
	Decay configs.Duration `yaml:"decay"`
}

type fileRain struct {
	At     configs.Duration `yaml:"at"`
	MMPerH float64          `yaml:"mm_per_h"`
}

type fileDust struct {
	Background float64       `yaml:"background"`
	DailySwing float64       `yaml:"daily_swing"`
	PM10Ratio  float64       `yaml:"pm10_ratio"`
	PM1Ratio   float64       `yaml:"pm1_ratio"`
	Episodes   []fileEpisode `yaml:"episodes"`
}

type fileEpisode struct {
	At    configs.Duration `yaml:"at"`
	Ramp  configs.Duration `yaml:"ramp"`
	Hold  configs.Duration `yaml:"hold"`
	Decay configs.Duration `yaml:"decay"`
	Peak  float64          `yaml:"peak"`
}

type fileElevator struct {
	StoreyM      float64          `yaml:"storey_m"`
	GroundFloor  int              `yaml:"ground_floor"`
	StartFloor   int              `yaml:"start_floor"`
	Speed        float64          `yaml:"speed_m_s"`
	Accel        float64          `yaml:"accel_m_s2"`
	Dwell        configs.Duration `yaml:"dwell"`
	PressurePa   float64          `yaml:"pressure_pa"`
	DriftPaPerH  float64          `yaml:"drift_pa_per_h"`
	TemperatureC *float64         `yaml:"temperature_c"`
	Trips        []fileTrip       `yaml:"trips"`
}

type fileTrip struct {
	At         configs.Duration `yaml:"at"`
	To         int              `yaml:"to"`
	Passengers int              `yaml:"passengers"`
	HaltM      *float64         `yaml:"halt_m"`
	Rescue     configs.Duration `yaml:"rescue"`
}

type fileSensor struct {
	Name            string           `yaml:"name"`
	Chip            string           `yaml:"chip"`
	Interval        configs.Duration `yaml:"interval"`
	Address         *int             `yaml:"address"`
	Pin             string           `yaml:"pin"`
	MountingHeightM *float64         `yaml:"mounting_height_m"`
	Slave           *int             `yaml:"slave"`
	Channel         *int             `yaml:"channel"`
	ShuntOhms       *float64         `yaml:"shunt_ohms"`
	LowM            *float64         `yaml:"low_m"`
	HighM           *float64         `yaml:"high_m"`
	BucketMM        *float64         `yaml:"bucket_mm"`
}

type fileFault struct {
	Sensor    string           `yaml:"sensor"`
	Kind      string           `yaml:"kind"`
	At        configs.Duration `yaml:"at"`
	For       configs.Duration `yaml:"for"`
	MilliAmps *float64         `yaml:"milliamps"`
	Bytes     string           `yaml:"bytes"`
}

var (
	idPattern   = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)
	namePattern = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)
	pinPattern  = regexp.MustCompile(`^GPIO[0-9]{1,2}$`)
)

// convert checks f and builds the scenario, recording every problem in c.
func (f *fileScenario) convert(c *checker) *Scenario {
	s := &Scenario{Kind: Kind(f.Kind), ID: f.ID, Name: f.Name, Story: f.Story, Compression: 1}
	if s.Name == "" {
		s.Name = s.ID
	}
	switch {
	case f.ID == "":
		c.add("id", "is required: the simulated board's device id")
	case !idPattern.MatchString(f.ID):
		c.add("id", "%q: use 1 to 64 of a-z, 0-9 and -", f.ID)
	}
	if f.Compression != nil {
		k := *f.Compression
		if !(k > 0) || math.IsInf(k, 0) || k > 100000 {
			c.add("compression", "%v: want scenario seconds per wall second, above 0 and at most 100000", k)
		} else {
			s.Compression = k
		}
	}
	if f.Start != "" {
		t, err := time.Parse(time.RFC3339, f.Start)
		if err != nil {
			c.add("start", "%q: want a time such as 2026-09-15T06:00:00+08:00", f.Start)
		}
		s.Start = t
	}
	sections := map[Kind]bool{KindRiver: f.River != nil, KindDust: f.Dust != nil, KindElevator: f.Elevator != nil}
	switch s.Kind {
	case KindRiver:
		s.River = f.River.convert(c)
	case KindDust:
		s.Dust = f.Dust.convert(c)
	case KindElevator:
		s.Elevator = f.Elevator.convert(c)
		if s.Compression != 1 {
			c.add("compression", "%v: an elevator runs in real time (compressed k times, its accelerometer would feel k² the acceleration)", s.Compression)
		}
	case "":
		c.add("kind", "is required: river, dust or elevator")
	default:
		c.add("kind", "%q: want river, dust or elevator", f.Kind)
	}
	for k, given := range sections {
		if given && k != s.Kind && s.Kind != "" {
			c.add(string(k), "is for kind %s; this scenario's kind is %s", k, s.Kind)
		} else if !given && k == s.Kind {
			c.add(string(k), "is required for kind %s", k)
		}
	}
	s.Sensors = f.convertSensors(c, s.Kind)
	s.Faults = f.convertFaults(c, s)
	return s
}

func (r *fileRiver) convert(c *checker) *River {
	if r == nil {
		return nil
	}
	out := &River{Mean: r.MeanM, Amplitude: r.AmplitudeM, Period: r.Period.D(), HighWater: r.HighWater.D()}
	if r.AmplitudeM < 0 {
		c.add("river.amplitude_m", "%v must not be negative", r.AmplitudeM)
	}
	if r.Period < 0 {
		c.add("river.period", "%v must be positive (0 means the M2 tide's 12.42 h)", r.Period)
	}
	if s := r.Surge; s != nil {
		out.Surge = &Episode{At: s.Start.D(), Ramp: s.Rise.D(), Hold: s.Hold.D(), Decay: s.Decay.D(), Peak: s.PeakM}
		nonNegative(c, "river.surge", []string{"rise", "hold", "decay"}, s.Rise, s.Hold, s.Decay)
	}
	for i, p := range r.Rain {
		path := fmt.Sprintf("river.rain[%d]", i)
		if i > 0 && p.At <= r.Rain[i-1].At {
			c.add(path+".at", "%v is not after the previous point's %v", p.At, r.Rain[i-1].At)
		}
		if !(p.MMPerH >= 0) || math.IsInf(p.MMPerH, 0) {
			c.add(path+".mm_per_h", "%v: want a rate of 0 mm/h or more", p.MMPerH)
		}
		out.Rain = append(out.Rain, RainPoint{At: p.At.D(), MMPerHour: p.MMPerH})
	}
	return out
}

func (d *fileDust) convert(c *checker) *Dust {
	if d == nil {
		return nil
	}
	out := &Dust{Background: d.Background, DailySwing: d.DailySwing, PM10Ratio: d.PM10Ratio, PM1Ratio: d.PM1Ratio}
	for i, v := range []float64{d.Background, d.DailySwing, d.PM10Ratio, d.PM1Ratio} {
		if !(v >= 0) || math.IsInf(v, 0) {
			c.add("dust."+[]string{"background", "daily_swing", "pm10_ratio", "pm1_ratio"}[i], "%v must be a number, 0 or more", v)
		}
	}
	for i, e := range d.Episodes {
		out.Episodes = append(out.Episodes, Episode{At: e.At.D(), Ramp: e.Ramp.D(), Hold: e.Hold.D(), Decay: e.Decay.D(), Peak: e.Peak})
		nonNegative(c, fmt.Sprintf("dust.episodes[%d]", i), []string{"ramp", "hold", "decay"}, e.Ramp, e.Hold, e.Decay)
	}
	return out
}

func (e *fileElevator) convert(c *checker) *Elevator {
	if e == nil {
		return nil
	}
	out := &Elevator{StoreyM: e.StoreyM, GroundFloor: e.GroundFloor, StartFloor: e.StartFloor, Speed: e.Speed,
		Accel: e.Accel, Dwell: e.Dwell.D(), PressurePa: e.PressurePa, DriftPaPerHour: e.DriftPaPerH}
	for i, v := range []float64{e.StoreyM, e.Speed, e.Accel, e.PressurePa} {
		if !(v >= 0) || math.IsInf(v, 0) {
			c.add("elevator."+[]string{"storey_m", "speed_m_s", "accel_m_s2", "pressure_pa"}[i], "%v must be positive (0 means the default)", v)
		}
	}
	if e.Dwell < 0 {
		c.add("elevator.dwell", "%v must be positive (0 means 5s)", e.Dwell)
	}
	if t := e.TemperatureC; t != nil {
		if !(*t > -60 && *t < 85) {
			c.add("elevator.temperature_c", "%v °C is not a shaft's air temperature (−60 to 85)", *t)
		}
		out.AirKelvin = *t + 273.15
	}
	for i, t := range e.Trips {
		out.Trips = append(out.Trips, Trip{At: t.At.D(), To: t.To, Passengers: t.Passengers, Halt: t.HaltM, Rescue: t.Rescue.D()})
		p := fmt.Sprintf("elevator.trips[%d]", i)
		if t.Passengers < 0 {
			c.add(p+".passengers", "%d must not be negative", t.Passengers)
		}
		if t.Rescue < 0 || t.Rescue > 0 && t.HaltM == nil {
			c.add(p+".rescue", "%v: a rescue follows a halt (halt_m), after a positive time", t.Rescue)
		}
		if !c.has(p + ".to") {
			c.add(p, "needs to: the destination floor")
		}
	}
	if err := out.Check(); err != nil {
		path := "elevator.trips"
		var i int
		if _, scanErr := fmt.Sscanf(err.Error(), "trip %d", &i); scanErr == nil {
			path = fmt.Sprintf("elevator.trips[%d]", i)
		}
		c.add(path, "%v", err)
	}
	return out
}

func nonNegative(c *checker, path string, keys []string, ds ...configs.Duration) {
	for i, d := range ds {
		if d < 0 {
			c.add(path+"."+keys[i], "%v must not be negative", d)
		}
	}
}

func (f *fileScenario) convertSensors(c *checker, kind Kind) []Sensor {
	if len(f.Sensors) == 0 {
		c.add("sensors", "is required: at least one chip on the board")
	}
	var out []Sensor
	names, pins, addrs := map[string]int{}, map[string]int{}, map[uint16]int{}
	for i, fs := range f.Sensors {
		p := fmt.Sprintf("sensors[%d]", i)
		s := Sensor{Name: fs.Name, Chip: fs.Chip, Interval: fs.Interval.D(), Pin: fs.Pin}
		switch j, dup := names[fs.Name]; {
		case fs.Name == "":
			c.add(p+".name", "is required")
		case !namePattern.MatchString(fs.Name):
			c.add(p+".name", "%q: use 1 to 32 of a-z, 0-9, _ and -", fs.Name)
		case dup:
			c.add(p+".name", "%q is also sensors[%d]'s name", fs.Name, j)
		default:
			names[fs.Name] = i
		}
		if fs.Interval < 0 || fs.Interval > 0 && fs.Interval.D() < 100*time.Millisecond {
			c.add(p+".interval", "%v: the agent samples at most every 100ms", fs.Interval)
		}
		info, ok := chips[fs.Chip]
		switch {
		case fs.Chip == "":
			c.add(p+".chip", "is required: one of %s", chipNames(kind))
			continue
		case !ok:
			c.add(p+".chip", "%q: want one of %s", fs.Chip, chipNames(kind))
			continue
		case kind != "" && info.kind != kind:
			c.add(p+".chip", "%s faces %s scenarios, not %s (want one of %s)", fs.Chip, info.kind, kind, chipNames(kind))
		}
		for _, k := range []string{"address", "pin", "mounting_height_m", "slave", "channel", "shunt_ohms", "low_m", "high_m", "bucket_mm"} {
			if c.has(p+"."+k) && !slices.Contains(info.keys, k) {
				c.add(p+"."+k, "the %s chip takes no %s", fs.Chip, k)
			}
		}
		for _, k := range info.need {
			if !c.has(p + "." + k) {
				c.add(p, "the %s chip needs %s", fs.Chip, k)
			}
		}
		switch info.bus {
		case i2cBus:
			s.Address = info.addrs[0]
			if fs.Address != nil {
				a := *fs.Address
				if a < 0 || a > 0x7f || !slices.Contains(info.addrs, uint16(a)) {
					c.add(p+".address", "%#x: the %s chip answers at %s", a, fs.Chip, hexList(info.addrs))
				} else {
					s.Address = uint16(a)
				}
			}
			if j, dup := addrs[s.Address]; dup {
				c.add(p+".address", "%#x is also sensors[%d]'s address on the bus", s.Address, j)
			}
			addrs[s.Address] = i
		case gpioPin:
			if fs.Pin != "" && !pinPattern.MatchString(fs.Pin) {
				c.add(p+".pin", "%q: want a pin name such as GPIO17", fs.Pin)
			}
			if j, dup := pins[fs.Pin]; dup && fs.Pin != "" {
				c.add(p+".pin", "%s is also sensors[%d]'s pin", fs.Pin, j)
			}
			pins[fs.Pin] = i
		}
		s.setNumbers(c, p, &fs)
		out = append(out, s)
	}
	return out
}

// setNumbers takes the chip-specific numbers, checking their ranges.
func (s *Sensor) setNumbers(c *checker, p string, fs *fileSensor) {
	num := func(key string, v *float64, def float64, ok func(float64) bool, want string) float64 {
		if v == nil {
			return def
		}
		if math.IsNaN(*v) || math.IsInf(*v, 0) || !ok(*v) {
			c.add(p+"."+key, "%v: want %s", *v, want)
		}
		return *v
	}
	positive := func(x float64) bool { return x > 0 }
	s.Mounting = num("mounting_height_m", fs.MountingHeightM, 0, func(float64) bool { return true }, "a height in m")
	s.ShuntOhms = num("shunt_ohms", fs.ShuntOhms, 150, func(x float64) bool { return x >= 1 && x <= 1000 }, "1 to 1000 Ω")
	s.Low = num("low_m", fs.LowM, 0, func(float64) bool { return true }, "a level in m")
	s.High = num("high_m", fs.HighM, 0, func(x float64) bool { return x != s.Low }, "a level in m other than low_m")
	s.BucketMM = num("bucket_mm", fs.BucketMM, 0.2, func(x float64) bool { return positive(x) && x <= 10 }, "more than 0 and at most 10 mm")
	if fs.Channel != nil {
		if s.Channel = *fs.Channel; s.Channel < 0 || s.Channel > 3 {
			c.add(p+".channel", "%d: want 0 to 3 (AIN0–AIN3)", s.Channel)
		}
	}
	s.Slave = 1
	if fs.Slave != nil {
		if s.Slave = *fs.Slave; s.Slave < 1 || s.Slave > 247 {
			c.add(p+".slave", "%d: want a Modbus address, 1 to 247", s.Slave)
		}
	}
}

func (f *fileScenario) convertFaults(c *checker, s *Scenario) []Fault {
	var out []Fault
	for i, ff := range f.Faults {
		p := fmt.Sprintf("faults[%d]", i)
		flt := Fault{Sensor: ff.Sensor, Kind: FaultKind(ff.Kind), At: ff.At.D(), For: ff.For.D()}
		sen := s.Sensor(ff.Sensor)
		if sen == nil {
			c.add(p+".sensor", "%q is not one of the scenario's sensors", ff.Sensor)
		}
		if ff.At < 0 {
			c.add(p+".at", "%v must not be negative", ff.At)
		}
		if ff.For < 0 {
			c.add(p+".for", "%v must not be negative (0 means to the end)", ff.For)
		}
		bus := uart
		if sen != nil {
			bus = chips[sen.Chip].bus
		}
		switch flt.Kind {
		case Garbage:
			if sen != nil && bus != uart {
				c.add(p+".kind", "garbage is for UART chips; %s is not one", sen.Chip)
			}
			flt.Bytes = DefaultGarbage
			if ff.Bytes != "" {
				b, err := hex.DecodeString(strings.ReplaceAll(ff.Bytes, " ", ""))
				if err != nil || len(b) == 0 {
					c.add(p+".bytes", "%q: want bytes in hex, e.g. \"ff 12 34 00\"", ff.Bytes)
				}
				flt.Bytes = b
			}
		case LoopCurrent:
			if sen != nil && sen.Chip != ChipADS1115 {
				c.add(p+".kind", "loop_current is for a 4–20 mA loop (ads1115); %s is not one", sen.Chip)
			}
			if ff.MilliAmps == nil {
				c.add(p, "loop_current needs milliamps")
			} else if flt.MilliAmps = *ff.MilliAmps; !(flt.MilliAmps >= 0 && flt.MilliAmps <= 30) {
				c.add(p+".milliamps", "%v: want 0 to 30 mA", flt.MilliAmps)
			}
		case Stuck, Unplugged:
		default:
			c.add(p+".kind", "%q: want garbage, stuck, loop_current or unplugged", ff.Kind)
		}
		if flt.Kind != Garbage && ff.Bytes != "" {
			c.add(p+".bytes", "only a garbage fault writes bytes")
		}
		if flt.Kind != LoopCurrent && ff.MilliAmps != nil {
			c.add(p+".milliamps", "only a loop_current fault sets a current")
		}
		out = append(out, flt)
	}
	return out
}

func chipNames(kind Kind) string {
	var names []string
	for n, info := range chips {
		if kind == "" || info.kind == kind {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

func hexList(as []uint16) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = "0x" + strconv.FormatUint(uint64(a), 16)
	}
	return strings.Join(s, " or ")
}
