package scenario

import (
	"context"
	"fmt"
	"math"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/simulator/chip"
	"github.com/xiuhua/xiuhua/simulator/chip/ads1115"
	"github.com/xiuhua/xiuhua/simulator/chip/adxl345"
	"github.com/xiuhua/xiuhua/simulator/chip/bmp280"
	"github.com/xiuhua/xiuhua/simulator/chip/ld2410"
	"github.com/xiuhua/xiuhua/simulator/chip/modbusradar"
	"github.com/xiuhua/xiuhua/simulator/chip/mpu6050"
	"github.com/xiuhua/xiuhua/simulator/chip/pms5003"
	"github.com/xiuhua/xiuhua/simulator/chip/sds011"
	"github.com/xiuhua/xiuhua/simulator/chip/sps30"
	"github.com/xiuhua/xiuhua/simulator/chip/tipbucket"
	"github.com/xiuhua/xiuhua/simulator/chip/ultrasonic"
)

// Where a chip's readings come from in the world: the radar's distances
// to a passenger walking in and to one standing in the car.
const (
	walkingM  = movingRange
	standingM = stillRange
)

// mount builds sen's chip, facing the scenario's world, and wires it to
// the board. It returns the spec's bus, pins and params; Mount adds the
// rest.
func (r *Rig) mount(sen *Sensor, b *board.Board, bus string) (sensor.Spec, error) {
	fs := r.s.faultsOf(sen.Name)
	var spec sensor.Spec
	var err error
	attach := func(dev chip.I2CDevice) {
		b.I2C(bus).Attach(sen.Address, chip.Plug(dev, r.present(fs)))
		spec.I2C = sensor.I2C{Bus: bus, Addr: sen.Address}
	}
	switch sen.Chip {
	case ChipUltrasonic:
		c := ultrasonic.New(func(time.Time) ultrasonic.Values {
			return ultrasonic.Values{Distance: 1000 * (sen.Mounting - r.s.River.Level(r.sinceNow(fs)))}
		}, nil)
		spec.Serial, err = r.openUART(sen, 9600, func(ctx context.Context, l *chip.Line) error { return c.Serve(ctx, l) })
		spec.Params = map[string]string{"mounting_height_m": ftoa(sen.Mounting)}
	case ChipModbusRadar:
		c := modbusradar.Radar(func(time.Time) float64 {
			return 1000 * (sen.Mounting - r.s.River.Level(r.sinceNow(fs)))
		}, &modbusradar.Opts{Slave: byte(sen.Slave)})
		spec.Serial, err = r.openUART(sen, 9600, func(ctx context.Context, l *chip.Line) error { return c.Serve(ctx, l) })
		// Holding registers 1–2: the distance in m as a float32 (Radar's
		// map); the level is the mounting height less it.
		spec.Params = map[string]string{"slave": fmt.Sprint(sen.Slave), "register": "1", "type": "float32", "unit": "m",
			"scale": "-1", "offset": ftoa(sen.Mounting), "quantity": "water_level"}
	case ChipADS1115:
		shunt := physic.ElectricResistance(math.Round(sen.ShuntOhms * float64(physic.Ohm)))
		loop := ads1115.NewLoop(shunt, sen.Low, sen.High, func(time.Time) float64 { return r.s.River.Level(r.sinceNow(fs)) })
		c := ads1115.New(nil)
		c.SetInput(sen.Channel, loopInput{loop: loop, shunt: shunt, fs: fs, r: r})
		attach(c)
		spec.Params = map[string]string{"channel": fmt.Sprint(sen.Channel), "shunt_ohms": ftoa(sen.ShuntOhms),
			"low": ftoa(sen.Low), "high": ftoa(sen.High)}
	case ChipRainGauge:
		p, perr := addPin(b, sen.Pin)
		if perr != nil {
			return spec, perr
		}
		g := tipbucket.New(p, func(t time.Time) float64 { return r.s.River.Rainfall(r.clock.Since(t)) }, &tipbucket.Opts{
			BucketMM: sen.BucketMM, Now: r.now,
			Jammed: func(t time.Time) bool {
				since := r.clock.Since(t)
				return fs.active(Stuck, since) != nil || fs.active(Unplugged, since) != nil
			},
		})
		r.gauges[sen.Name] = g
		r.runners = append(r.runners, runner{name: sen.Name + " (raingauge)", run: g.Run})
		spec.Pins = map[string]string{"input": sen.Pin}
		spec.Params = map[string]string{"bucket_mm": ftoa(sen.BucketMM)}
	case ChipPMS5003:
		c := pms5003.New(func(time.Time) pms5003.Values {
			pm1, pm25, pm10 := r.dust(fs)
			return pms5003.Values{PM1: pm1, PM2_5: pm25, PM10: pm10}
		}, nil)
		spec.Serial, err = r.openUART(sen, 9600, func(ctx context.Context, l *chip.Line) error { return c.Serve(ctx, l) })
		spec.Params = map[string]string{"mode": "passive"}
	case ChipSDS011:
		c := sds011.New(func(time.Time) sds011.Values {
			_, pm25, pm10 := r.dust(fs)
			return sds011.Values{PM2_5: pm25, PM10: pm10}
		}, nil)
		spec.Serial, err = r.openUART(sen, 9600, func(ctx context.Context, l *chip.Line) error { return c.Serve(ctx, l) })
	case ChipSPS30:
		attach(sps30.New(func(time.Time) sps30.Values {
			pm1, pm25, pm10 := r.dust(fs)
			return sps30Values(pm1, pm25, pm10)
		}, nil))
	case ChipADXL345:
		attach(adxl345.New(func(time.Time) adxl345.Values {
			return adxl345.Values{Z: G + r.car(fs).Accel}
		}, nil))
		spec.Params = map[string]string{"range": "2g", "rate": "100"}
	case ChipMPU6050:
		attach(mpu6050.New(func(time.Time) mpu6050.Values {
			return mpu6050.Values{Accel: [3]float64{0, 0, G + r.car(fs).Accel}, Temperature: r.s.Elevator.kelvin() - 273.15 + 8}
		}, nil))
	case ChipBMP280:
		attach(bmp280.New(func(time.Time) bmp280.Values {
			return bmp280.Values{Pressure: r.s.Elevator.Pressure(r.sinceNow(fs)), Temperature: r.s.Elevator.kelvin() - 273.15}
		}, nil))
		spec.Params = map[string]string{"oversampling": "16x"}
	case ChipLD2410:
		c := ld2410.New(func(time.Time) ld2410.Values {
			switch r.car(fs).Presence {
			case Walking:
				return ld2410.Values{Moving: walkingM}
			case Standing:
				return ld2410.Values{Stationary: standingM}
			}
			return ld2410.Values{}
		}, nil)
		spec.Serial, err = r.openUART(sen, 256000, func(ctx context.Context, l *chip.Line) error { return c.Serve(ctx, l) })
	case ChipDoor, ChipPIR:
		p, perr := addPin(b, sen.Pin)
		if perr != nil {
			return spec, perr
		}
		spec.Pins = map[string]string{"input": sen.Pin}
		if sen.Chip == ChipDoor {
			// The reed is closed by the door's magnet, pulling the line
			// low; an open door releases it to the driver's pull-up.
			r.contact = append(r.contact, contact{pin: p, bounces: 3, level: func(t time.Time) (gpio.Level, bool) {
				since := r.clock.Since(t)
				if fs.active(Unplugged, since) != nil || r.s.Elevator.State(fs.measureAt(since)).DoorOpen {
					return gpio.High, false
				}
				return gpio.Low, true
			}})
			spec.Params = map[string]string{"open_level": "high"}
		} else {
			// The PIR drives its output high while it sees movement. The
			// emulated one needs no warm-up.
			r.contact = append(r.contact, contact{pin: p, level: func(t time.Time) (gpio.Level, bool) {
				since := r.clock.Since(t)
				if fs.active(Unplugged, since) != nil {
					return gpio.Low, false
				}
				return r.s.Elevator.State(fs.measureAt(since)).Presence == Walking, true
			}})
			spec.Params = map[string]string{"warmup": "0s"}
		}
	default:
		return spec, fmt.Errorf("no emulator for chip %q", sen.Chip)
	}
	return spec, err
}

// dust returns the particles a chip with faults fs sees now.
func (r *Rig) dust(fs faults) (pm1, pm25, pm10 float64) {
	d := *r.s.Dust
	d.Start = r.clock.Scen0
	return d.PM(r.clock.Scen0.Add(r.sinceNow(fs)))
}

// car returns the car as a chip with faults fs senses it now.
func (r *Rig) car(fs faults) CarState { return r.s.Elevator.State(r.sinceNow(fs)) }

// sps30Values derives the SPS30's PM4 and number concentrations from the
// masses: plausible (cumulative, falling with size), not physical.
func sps30Values(pm1, pm25, pm10 float64) sps30.Values {
	pm4 := pm25 + (pm10-pm25)/4
	return sps30.Values{PM1: pm1, PM2_5: pm25, PM4: pm4, PM10: pm10,
		NC0_5: pm1 * 6, NC1: pm1 * 7, NC2_5: pm25 * 4, NC4: pm4 * 3.6, NC10: pm10 * 2.3, TypicalSize: 0.6}
}

// loopInput is a 4–20 mA loop on an ADS1115 input, whose current a
// loop_current fault overrides. Like every source of the rig it looks at
// the world on the rig's clock, not at the time the chip passes: the chip
// times its conversions on the wall clock.
type loopInput struct {
	loop  *ads1115.Loop
	shunt physic.ElectricResistance
	fs    faults
	r     *Rig
}

func (in loopInput) Voltage(time.Time) physic.ElectricPotential {
	now := in.r.now()
	if f := in.fs.active(LoopCurrent, in.r.clock.Since(now)); f != nil {
		i := f.MilliAmps * float64(physic.MilliAmpere)
		return physic.ElectricPotential(math.Round(i * float64(in.shunt) / 1e9))
	}
	return in.loop.Voltage(now)
}
