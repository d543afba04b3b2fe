// Package bmp280 drives the Bosch BMP280 barometric pressure sensor, and
// its sibling the BME280 (pressure, temperature and humidity), over I2C,
// for elevator floor estimation and site weather.
//
// Datasheets: Bosch "BMP280 Digital Pressure Sensor" BST-BMP280-DS001
// (§3.3 forced mode, §3.11 compensation, §4 registers, §5.2 I2C, Table 4
// recommended settings, Table 13 measurement time) and "BME280 Combined
// humidity and pressure sensor" BST-BME280-DS002 (§4.2 humidity
// trimming, §8.2 compensation, §9.1 measurement time).
//
// # Why not periph.io/x/devices/v3/bmxx80
//
// The plan was a thin registry wrapper around upstream bmxx80, whose
// compensation arithmetic is right. periph.io/x/devices/v3 is not in this
// module's go.mod, and `go get periph.io/x/devices/v3/bmxx80` fails here
// (the module proxy answers 403 for the module's version list), so this
// package implements the chip itself from the datasheets. It keeps
// bmxx80's bus traffic (same registers, same order), so moving to
// upstream later is a small change, and it avoids three upstream
// weaknesses found on the way (bmxx80 v3.7.4):
//
//   - NewI2C with nil *Opts dereferences nil and panics;
//   - Sense polls the status register in a loop with no delay and no
//     bound, so a chip stuck "measuring" hangs the caller for ever and
//     no context can stop it;
//   - errors are wrapped with %v, losing the bus error for errors.Is,
//     and those raised before the chip ID is known carry an empty prefix.
//
// It also takes dig_H4 and dig_H5 (BME280) as signed, as Bosch's
// reference driver does, where bmxx80 reads them unsigned; the two agree
// for the positive values real chips carry.
//
// # Bus and registers
//
// I2C address 0x76 with SDO low, 0x77 with it high. A read writes the
// register address and, after a repeated start, reads with
// auto-increment. A write sends (register, value) pairs: the chip does
// not auto-increment on writes.
//
//	0x88…0xA1  calibration: dig_T1 u16, dig_T2 s16, dig_T3 s16, dig_P1 u16, dig_P2…P9 s16
//	           (little-endian); 0xA0 reserved; 0xA1 dig_H1 u8 (BME280)
//	0xD0       chip ID: 0x58 BMP280, 0x60 BME280
//	0xE1…0xE7  BME280: dig_H2 s16, dig_H3 u8, dig_H4 = E4<<4 | E5[3:0], dig_H5 = E6<<4 | E5[7:4], dig_H6 s8
//	0xF2       ctrl_hum (BME280): osrs_h[2:0]; takes effect at the next ctrl_meas write
//	0xF3       status: bit 3 measuring, bit 0 im_update
//	0xF4       ctrl_meas: osrs_t[7:5] osrs_p[4:2] mode[1:0] (00 sleep, 01 forced, 11 normal)
//	0xF5       config: t_sb[7:5] filter[4:2] spi3w_en[0]
//	0xF7…0xFC  press_msb, press_lsb, press_xlsb[7:4], temp_msb, temp_lsb, temp_xlsb[7:4] (20 bits each)
//	0xFD…0xFE  hum_msb, hum_lsb (BME280, 16 bits)
//
// Oversampling codes: 1 = 1×, 2 = 2×, 3 = 4×, 4 = 8×, 5 = 16×; 0 skips
// the measurement, and a skipped (or never taken) result reads 0x80000.
//
// # Behaviour
//
// New reads the chip ID and the calibration, then writes ctrl_meas in
// sleep mode, and config with the IIR filter off (the filter only helps
// in normal mode). Each Sense writes ctrl_meas in forced mode, waits the
// typical measurement time, polls the measuring bit every millisecond for
// up to twice the maximum time (ctx can end it sooner), and reads the
// results in one burst, which the datasheet requires so that they come
// from one conversion. Pressure oversampling follows Opts.Oversampling;
// temperature is 1×, or 2× with 16× pressure (Table 4's settings);
// humidity equals pressure's. Compensation uses the datasheets' integer
// formulas: temperature in 0.01 °C, pressure in 1/256 Pa (64-bit),
// humidity in 1/1024 %. Halt writes sleep mode.
//
// # Plausibility
//
// Temperatures outside −40…85 °C and pressures outside 300…1100 hPa are
// outside the chip's operating range and are marked suspect
// (Sample.TemperatureSuspect, Sample.PressureSuspect, Stats.Suspect). Data
// registers holding 0x80000 mean no conversion happened: Sense returns
// ErrNoData and counts it rather than report the value that would
// compensate from it (26.46 °C with the datasheet's example trimming,
// which looks plausible). About 12 Pa make a metre near sea level, so floor
// estimation needs a reference and drift correction beyond this package.
//
// # Registry
//
// The package registers driver "bmp280" with drivers/sensor; it serves
// BME280s too. The spec's I2C bus is opened through the Env; the address
// defaults to 0x76. Params: "oversampling" = "1x", "2x", "4x" (default),
// "8x" or "16x". Each Sense yields Pressure in Pa and Temperature in °C,
// and on a BME280 Humidity in %; out-of-range values carry quality
// Suspect. Close writes sleep mode and closes the bus handle.
package bmp280
