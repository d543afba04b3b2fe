// Package scenario drives the simulator's chips with physical curves:
// what the sensors of one board would see at each instant, and how they
// fail.
//
// # Scenarios
//
// A scenario file (YAML; the shipped ones are in scenarios/, listed by
// Builtins) describes one simulated board: its device id, the world its
// sensors face, the chips that face it, and their faults. Kinds:
//
//   - river: a tidal river gauge. River is a semi-diurnal tide (the M2
//     tide's 12.42 h by default) about a mean level, a typhoon's storm
//     surge on top (start, linear rise, peak, hold, exponential decay) and
//     a rainstorm whose mm/h profile, linear between points, fills the
//     tipping bucket. The level faces an ultrasonic board (distance =
//     mounting height − level), a 4–20 mA transmitter on an ADS1115 and a
//     Modbus radar; the rain faces a tipping-bucket gauge on a GPIO pin.
//   - dust: a construction site's monitor (Dust): a background with a
//     daily swing and episodes, facing a PMS5003, an SDS011 or an SPS30.
//   - elevator: one car (Elevator): trips between floors with their door
//     cycles and passengers, and a trip that halts between floors with its
//     passengers shut in. The car's acceleration faces an ADXL345 or an
//     MPU6050, its height a BMP280 (hypsometric pressure), its door a reed
//     contact, its passengers an LD2410 radar or a PIR.
//
// Every file may list faults (Fault): garbage bytes on a UART chip's line,
// a stuck value, a 4–20 mA loop current (below 3.6 mA: a broken loop),
// and an unplugged sensor. Parse decodes a file strictly, as configs
// decodes a config: an unknown key is an error, and every problem comes
// back at once as a *configs.Error naming the file, key path and line.
//
// # Time
//
// A scenario's times are offsets from its start. Compression runs it
// faster than the wall clock (60 passes a scenario hour in a wall minute),
// so that a demo shows a tide and a typhoon in minutes; Clock maps one
// onto the other. An elevator is never compressed: its accelerometer
// would feel the square of the factor.
//
// # Boards
//
// Mount puts a scenario's chips on a simulator/board.Board: UART chips
// behind pseudo-terminals (through a chip.Line that injects the line
// faults), I2C chips on the board's bus (unpluggable), contacts and the
// rain gauge (chip/tipbucket) on emulated GPIO pins. Rig.Specs gives what
// the agent's config needs to read each one with the real driver; Rig.Run
// makes them work. The chips' sources read the world on the rig's clock,
// so that a test can step it.
package scenario
