// Package adxl345 drives the Analog Devices ADXL345 3-axis accelerometer
// over I2C, for elevator monitoring (car acceleration and vibration).
//
// Datasheet: Analog Devices "ADXL345 3-Axis, ±2 g/±4 g/±8 g/±16 g
// Digital Accelerometer", Rev. G: Table 1 (sensitivity), Table 7 (data
// rates), Table 19 (register map), "Serial Communications" (I2C).
//
// # Bus
//
// I2C address 0x53 with ALT ADDRESS low, 0x1D with it high; CS must be
// tied high to select I2C. A register is read by writing its address and,
// after a repeated start, reading; reads of several bytes auto-increment
// the address. A write is the register address followed by its value.
//
// # Registers used
//
//	0x00  DEVID        read-only, 0xE5 (the probe)
//	0x2C  BW_RATE      bits 3:0 rate code: 0x06 6.25 Hz … 0x0A 100 Hz … 0x0F 3200 Hz
//	0x2D  POWER_CTL    bit 3 Measure (0: standby, the power-on state)
//	0x31  DATA_FORMAT  bit 3 FULL_RES, bit 2 Justify (0: right), bits 1:0 range ±2/4/8/16 g
//	0x32  DATAX0 … 0x37 DATAZ1: X, Y, Z as little-endian two's complement
//
// New reads DEVID, writes POWER_CTL = 0 (standby: the datasheet advises
// configuring in standby), BW_RATE, DATA_FORMAT = FULL_RES | range, and
// POWER_CTL = Measure, then waits 1/rate + 1.1 ms for the first sample.
// Read fetches DATAX0..DATAZ1 in one transaction (register address 0x32,
// repeated start, six bytes), so that the three axes come from the same
// sample, as the datasheet requires. In full resolution every range keeps
// 3.9 mg per count (typical; 3.5–4.3 mg at ±2 g) and the counts are 10
// bits at ±2 g, 11 at ±4 g, 12 at ±8 g and 13 at ±16 g, sign-extended to
// 16. Acceleration = count × 3.9 mg × 9.80665 m/s² per g. Halt returns
// the chip to standby.
//
// # Errata and field notes
//
//   - Upstream periph.io/x/devices/v3/adxl345 (v3.7.4) is not used. Over
//     I2C it frames reads like SPI: it writes the register address with
//     the SPI read bit (0x80) set plus a dummy 0x00 byte, reads two bytes,
//     and takes the DEVID from the second. Update reads each data
//     register in its own transaction (axes tear between samples), ORs
//     the 16-bit "low" value into the shifted "high" one instead of
//     combining two bytes, and drops bus errors.
//   - The datasheet recommends 800 Hz only with a 400 kHz I2C clock, and
//     1600 and 3200 Hz only over SPI at ≥ 2 MHz; a Raspberry Pi's I2C
//     runs at 100 kHz unless configured otherwise.
//   - Sensitivity and 0 g offset vary from chip to chip (offset up to
//     ±150 mg on Z): calibrate against gravity with the car at rest
//     before trusting absolute values.
//
// # Plausibility
//
// A count that the configured range cannot produce (beyond 10 to 13 bits)
// means a corrupted transfer or a chip not in the mode New set; a count at
// either end of the range means the chip saturated, and the true
// acceleration may be beyond the range. Such axes are marked in
// Sample.OutOfRange and counted in Stats.Suspect.
//
// # Registry
//
// The package registers driver "adxl345" with drivers/sensor. The spec's
// I2C bus is opened through the Env; the address defaults to 0x53.
// Params: "range" = "2g" (default), "4g", "8g" or "16g"; "rate" = the
// output data rate in Hz, "6.25", "12.5", "25", "50", "100" (default),
// "200", "400", "800", "1600" or "3200". Each Sense yields AccelX, AccelY
// and AccelZ in m/s²; saturated or out-of-range axes carry quality
// Suspect. Close puts the chip in standby and closes the bus handle.
package adxl345
