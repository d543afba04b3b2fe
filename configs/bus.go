package configs

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// busKind is how a driver reaches its chip.
type busKind int

const (
	busUART busKind = iota + 1
	busI2C
	busGPIO
)

// driverBus says which connection each known driver needs, so that a
// config missing it is rejected with the key's line rather than failing in
// the field. A driver not listed here is not checked; the agent still
// rejects a driver name nothing registered.
var driverBus = map[string]busKind{
	"pms5003": busUART, "sds011": busUART, "ultrasonic": busUART, "ld2410": busUART, "modbuslevel": busUART,
	"sps30": busI2C, "ads1115level": busI2C, "adxl345": busI2C, "mpu6050": busI2C, "bmp280": busI2C,
	"raingauge": busGPIO, "door": busGPIO, "pir": busGPIO, "ebike": busGPIO,
}

// chipAddrs lists the I2C addresses each chip can be strapped to, from
// the datasheets (see REFERENCE.md).
var chipAddrs = map[string]struct {
	chip  string
	addrs []int
}{
	"sps30":        {"SPS30", []int{0x69}},
	"ads1115level": {"ADS1115", []int{0x48, 0x49, 0x4A, 0x4B}},
	"adxl345":      {"ADXL345", []int{0x53, 0x1D}},
	"mpu6050":      {"MPU6050", []int{0x68, 0x69}},
	"bmp280":       {"BMP280", []int{0x76, 0x77}},
}

// gpioPins lists the pin roles each GPIO driver needs; "required" roles
// must be present, the rest are optional.
var gpioPins = map[string]struct{ required, optional []string }{
	"raingauge": {required: []string{"input"}},
	"door":      {required: []string{"input"}},
	"pir":       {required: []string{"input"}},
	"ebike":     {required: []string{"input"}, optional: []string{"relay"}},
}

// busNames says how a config names each bus, for messages.
var busNames = map[busKind]string{busUART: "a UART sensor (serial)", busI2C: "an I2C sensor (i2c)", busGPIO: "a GPIO sensor (pins)"}

func (s Sensor) checkBus(c *checker, p string) {
	// A setting for another bus than the driver's is a slip (a copied
	// block, the wrong driver name): it would be ignored in the field.
	if kind, ok := driverBus[s.Driver]; ok {
		for _, b := range []struct {
			kind busKind
			key  string
			set  bool
		}{{busUART, "serial", s.Serial != Serial{}}, {busI2C, "i2c", s.I2C != I2C{}}, {busGPIO, "pins", len(s.Pins) > 0}} {
			if b.kind != kind && c.given(key(p, b.key), b.set) {
				c.add(key(p, b.key), "not used: %s is %s", s.Driver, busNames[kind])
			}
		}
	}
	switch driverBus[s.Driver] {
	case busUART:
		c.required(key(p, "serial.port"), s.Serial.Port)
	case busI2C:
		if c.required(key(p, "i2c.bus"), s.I2C.Bus) && !c.has(key(p, "i2c.address")) && s.I2C.Address == 0 {
			c.add(key(p, "i2c.address"), "required")
		}
	case busGPIO:
		roles := gpioPins[s.Driver]
		for _, r := range roles.required {
			if s.Pins[r] == "" {
				c.add(key(p, "pins."+r), "required: the GPIO the %s input is wired to, e.g. GPIO17", s.Driver)
			}
		}
		for r := range s.Pins {
			if !slices.Contains(roles.required, r) && !slices.Contains(roles.optional, r) {
				all := append(append([]string(nil), roles.required...), roles.optional...)
				sort.Strings(all)
				c.add(key(p, "pins."+r), "%s has no pin %q (it has %s)", s.Driver, r, strings.Join(all, ", "))
			}
		}
	}
	if s.I2C.Address != 0 {
		if a, ok := chipAddrs[s.Driver]; ok && !slices.Contains(a.addrs, s.I2C.Address) {
			c.add(key(p, "i2c.address"), "%#x is not an %s address (%s)", s.I2C.Address, a.chip, hexList(a.addrs))
		} else if s.I2C.Address < 0x03 || s.I2C.Address > 0x77 {
			c.add(key(p, "i2c.address"), "%#x is outside the 7-bit address range 0x03–0x77", s.I2C.Address)
		}
	}
}

func hexList(addrs []int) string {
	if len(addrs) > 2 && addrs[len(addrs)-1]-addrs[0] == len(addrs)-1 {
		return fmt.Sprintf("%#x–%#x", addrs[0], addrs[len(addrs)-1])
	}
	parts := make([]string, len(addrs))
	for i, a := range addrs {
		parts[i] = fmt.Sprintf("%#x", a)
	}
	return strings.Join(parts, " or ")
}
