package scenario

import (
	"fmt"
	"os"
	"time"
)

// Kind is what a scenario simulates.
type Kind string

// Scenario kinds.
const (
	KindRiver    Kind = "river"    // a tidal river gauge: tide, typhoon surge, rainstorm
	KindDust     Kind = "dust"     // a construction site's dust monitor
	KindElevator Kind = "elevator" // an elevator car: trips, doors, passengers, a trapped passenger
)

// Scenario is a loaded scenario file: one simulated board, the world its
// sensors face, the chips that face it, and the faults they suffer.
type Scenario struct {
	File  string // as given to Parse or Load
	Kind  Kind
	ID    string // the board's device id
	Name  string // where it is, for people
	Story string // what someone watching should expect
	// Compression is how many scenario seconds pass in a wall second:
	// 60 turns a 12.42 h tide into 12.42 min. 1 is real time.
	Compression float64
	// Start is the scenario's time at its start on the wall clock (dust
	// follows the local time of day); zero means the wall clock's time.
	Start time.Time

	River    *River    // KindRiver
	Dust     *Dust     // KindDust
	Elevator *Elevator // KindElevator

	Sensors []Sensor
	Faults  []Fault
}

// Sensor is one chip on the board and how it faces the scenario's world.
type Sensor struct {
	Name string // the agent config's sensor name
	Chip string // one of the Chip constants
	// Interval is how often the board's agent samples it; 0 means 1 s.
	Interval time.Duration
	Address  uint16  // I2C chips: the chip's address; 0 means its usual one
	Pin      string  // GPIO chips: the board's pin, e.g. GPIO17
	Mounting float64 // ultrasonic, modbusradar: height of the sensor face in the station's datum, m
	Slave    int     // modbusradar: the Modbus address; 0 means 1
	// ads1115: the 4–20 mA level transmitter on input Channel through a
	// ShuntOhms shunt (0 means 150 Ω), ranged Low m at 4 mA to High m at
	// 20 mA.
	Channel   int
	ShuntOhms float64
	Low, High float64
	BucketMM  float64 // raingauge: rain per tip; 0 means 0.2 mm
}

// Chips the scenarios drive, by the names scenario files use. Each has a
// byte-level emulator in simulator/chip and a driver in drivers/.
const (
	ChipPMS5003     = "pms5003"
	ChipSDS011      = "sds011"
	ChipSPS30       = "sps30"
	ChipUltrasonic  = "ultrasonic"
	ChipADS1115     = "ads1115"
	ChipModbusRadar = "modbusradar"
	ChipRainGauge   = "raingauge"
	ChipADXL345     = "adxl345"
	ChipMPU6050     = "mpu6050"
	ChipBMP280      = "bmp280"
	ChipDoor        = "door"
	ChipPIR         = "pir"
	ChipLD2410      = "ld2410"
)

type busKind uint8

const (
	uart busKind = iota
	i2cBus
	gpioPin
)

// chipInfo is what a scenario file may say about a chip, and which
// driver reads it.
type chipInfo struct {
	kind   Kind
	bus    busKind
	driver string
	addrs  []uint16 // I2C: the addresses the chip can take; the first is its default
	keys   []string // keys beyond name, chip and interval
	need   []string // keys that must be given
}

var chips = map[string]chipInfo{
	ChipPMS5003:     {kind: KindDust, bus: uart, driver: "pms5003"},
	ChipSDS011:      {kind: KindDust, bus: uart, driver: "sds011"},
	ChipSPS30:       {kind: KindDust, bus: i2cBus, driver: "sps30", addrs: []uint16{0x69}, keys: []string{"address"}},
	ChipUltrasonic:  {kind: KindRiver, bus: uart, driver: "ultrasonic", keys: []string{"mounting_height_m"}, need: []string{"mounting_height_m"}},
	ChipModbusRadar: {kind: KindRiver, bus: uart, driver: "modbuslevel", keys: []string{"mounting_height_m", "slave"}, need: []string{"mounting_height_m"}},
	ChipADS1115: {kind: KindRiver, bus: i2cBus, driver: "ads1115level", addrs: []uint16{0x48, 0x49, 0x4a, 0x4b},
		keys: []string{"address", "channel", "shunt_ohms", "low_m", "high_m"}, need: []string{"high_m"}},
	ChipRainGauge: {kind: KindRiver, bus: gpioPin, driver: "raingauge", keys: []string{"pin", "bucket_mm"}, need: []string{"pin"}},
	ChipADXL345:   {kind: KindElevator, bus: i2cBus, driver: "adxl345", addrs: []uint16{0x53, 0x1d}, keys: []string{"address"}},
	ChipMPU6050:   {kind: KindElevator, bus: i2cBus, driver: "mpu6050", addrs: []uint16{0x68, 0x69}, keys: []string{"address"}},
	ChipBMP280:    {kind: KindElevator, bus: i2cBus, driver: "bmp280", addrs: []uint16{0x76, 0x77}, keys: []string{"address"}},
	ChipDoor:      {kind: KindElevator, bus: gpioPin, driver: "door", keys: []string{"pin"}, need: []string{"pin"}},
	ChipPIR:       {kind: KindElevator, bus: gpioPin, driver: "pir", keys: []string{"pin"}, need: []string{"pin"}},
	ChipLD2410:    {kind: KindElevator, bus: uart, driver: "ld2410"},
}

// Driver returns the name of the driver (drivers/sensor registry) that
// reads the sensor's chip.
func (s *Sensor) Driver() string { return chips[s.Chip].driver }

// Parse decodes and checks a scenario file's bytes; file names it in
// problems. Every problem found is returned at once, as a *configs.Error
// whose problems carry the key path and line.
func Parse(file string, data []byte) (*Scenario, error) {
	var f fileScenario
	c, ok := decode(file, data, &f)
	if !ok {
		return nil, c.err()
	}
	s := f.convert(c)
	if err := c.err(); err != nil {
		return nil, err
	}
	s.File = file
	return s, nil
}

// Load reads and parses the scenario file at path.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	return Parse(path, data)
}

// Sensor returns the scenario's sensor called name, or nil.
func (s *Scenario) Sensor(name string) *Sensor {
	for i := range s.Sensors {
		if s.Sensors[i].Name == name {
			return &s.Sensors[i]
		}
	}
	return nil
}

// faultsOf returns the faults of the named sensor.
func (s *Scenario) faultsOf(name string) faults {
	var fs faults
	for i := range s.Faults {
		if s.Faults[i].Sensor == name {
			fs = append(fs, &s.Faults[i])
		}
	}
	return fs
}
