// Package sps30 drives the Sensirion SPS30 particulate matter sensor over
// I2C (address 0x69, standard mode 100 kbit/s, no clock stretching; the
// SEL pin must be tied to GND at power-up to select I2C).
//
// Datasheet: Sensirion "Datasheet SPS30 – Particulate Matter Sensor for
// Air Quality Monitoring and Control", version 2.0 (June 2023), §4
// (operating modes, fan cleaning, output formats) and §6 (I2C).
//
// # Wire format
//
// Commands are 16-bit "pointer addresses" written big-endian, with no CRC
// (the code has its own 3-bit check). Data travels in 2-byte words, each
// followed by a CRC-8 (polynomial 0x31, initial value 0xFF, no reflection,
// no final XOR; CRC(0xBE 0xEF) = 0x92) — in replies and in arguments.
// There are three transfer types:
//
//	set pointer               S addr+W  CMD_MSB CMD_LSB  P
//	set pointer & write data  S addr+W  CMD_MSB CMD_LSB  (D0 D1 CRC)…  P
//	set pointer & read data   S addr+W  CMD_MSB CMD_LSB  P
//	                          S addr+R  (D0 D1 CRC)…  P
//
// The read is a separate transaction after a STOP: the chip does not
// answer a repeated start. Repeated reads without a new pointer return the
// same item again.
//
//	command  name                      data
//	0x0010   start measurement         write 0x03 0x00 +CRC 0xAC: big-endian float output
//	0x0104   stop measurement          -
//	0x0202   read data-ready flag      read 3: 0x00, 0x00|0x01, CRC
//	0x0300   read measured values      read 60: 10 floats, each as 2 words + CRCs:
//	                                   mass PM1, PM2.5, PM4, PM10 (µg/m³);
//	                                   number PM0.5, PM1, PM2.5, PM4, PM10 (#/cm³);
//	                                   typical particle size (µm)
//	0x5607   start fan cleaning        - (only while measuring)
//	0x8004   auto-cleaning interval    read or write 6: big-endian uint32 seconds
//	0xD033   read serial number        read 48: up to 32 ASCII characters, NUL-terminated
//	0xD304   reset                     - (back to idle, as after power-up)
//
// Execution times (Table 8): start, stop and writing the interval < 20 ms,
// fan cleaning < 5 ms, reading the interval < 5 ms, reset < 100 ms. The
// driver waits these out after each command, and pauses 5 ms between
// setting a pointer and reading its reply.
//
// # Behaviour
//
// New reads the serial number as its probe, then resets the chip: a chip
// left measuring by an earlier run (perhaps in the integer output format)
// would refuse a second start. It then writes the cleaning interval if
// one is configured and starts measuring in float format. The chip has a
// new measurement every second; Read polls the data-ready flag (every
// 100 ms, for up to 3 s or until its ctx ends) before reading the values,
// so that every Read returns a fresh measurement. Readings are only
// trustworthy 8–30 s after the start (fan spin-up; the datasheet's
// start-up time depends on the concentration).
//
// Fan auto-cleaning runs the fan at full speed for 10 s every interval
// (default 604800 s = 168 h, kept in non-volatile memory; 0 switches it
// off) while measuring; the values are not updated meanwhile, so a Read
// then reports ErrNotReady. The interval counter restarts at power-up and
// at reset, so a chip that is restarted more often than its interval
// never cleans itself: call FanClean on a schedule in that case.
//
// # Errata and field notes
//
//   - Firmware before 2.2 returns the previous auto-cleaning interval
//     after a write until the next reset or start (datasheet §6.3.8).
//   - Reading the auto-cleaning interval straight after setting the
//     pointer fails with a Remote I/O error on Raspberry Pis
//     (github.com/dvsu/sps30 issue 1), and so does a combined
//     write-then-read with a repeated start (github.com/feyzikesim/sps30
//     issue 1); hence the separate transactions and the pause.
//   - Sensirion recommends UART over I2C for cables longer than 10–20 cm.
//   - periph.io/x/devices has a CRC8 helper for Sensirion chips in its
//     common package on its main branch, but not in release v3.7.4, so
//     this package carries its own (CRC).
//
// # Plausibility
//
// Measurement.Suspect flags impossible mass values: NaN or infinite,
// negative, or larger than the value of a bigger size class (the classes
// are cumulative). Values above the specified range (1000 µg/m³) are
// reported as they are. Dev.Stats counts bad CRCs, data-ready timeouts
// and suspect values.
//
// # Registry
//
// The package registers driver "sps30" with drivers/sensor. The spec's
// I2C bus is opened through the Env; its address defaults to 0x69.
// Params: "clean_interval" = a duration of whole seconds such as "168h",
// or "0"/"off" to switch automatic cleaning off; absent leaves the chip's
// setting. Each Sense yields PM1, PM2_5, PM4 and PM10 in µg/m³; suspect
// values carry quality Suspect (a NaN or infinity is carried as 0, since
// the telemetry wire format refuses non-finite numbers). The registered
// sensor implements FanCleaner. Close stops measuring and closes the bus
// handle.
package sps30
