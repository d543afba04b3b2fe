// Package adxl345 emulates an Analog Devices ADXL345 accelerometer on an
// I2C bus, byte for byte, for the simulator: attach a Chip to a
// chip.I2CBus at 0x53 (or 0x1D) and the real drivers/adxl345 driver talks
// to it through simulator/board.
//
// It keeps the chip's register file (datasheet Rev. G, Table 19) with the
// power-on values: DEVID 0xE5 (read-only), BW_RATE 0x0A, POWER_CTL 0x00
// (standby), DATA_FORMAT 0x00, INT_SOURCE 0x02. A write is a register
// address followed by values for it and the next registers; a read starts
// at the address last written and auto-increments, and returns 0 past the
// register map. Writes to read-only and reserved registers are ignored.
//
// A read that covers any of DATAX0..DATAZ1 (0x32..0x37) while POWER_CTL's
// Measure bit is set first latches a new sample from the Source, so the
// three axes of one multi-byte read belong together, as on the chip; in
// standby the data registers keep their last values. Acceleration in m/s²
// becomes counts at the datasheet's typical sensitivity, 256 counts per g
// (9.80665 m/s²), in full resolution at every range (10 bits at ±2 g up to
// 13 at ±16 g) or at 10 bits across the range otherwise, rounded,
// saturated at the range, and right- or left-justified as DATA_FORMAT's
// Justify bit says. The driver's nominal 3.9 mg per count is 0.16% less
// than 1/256 g, so a value read back is within one count of the Source's.
//
// Not emulated: the FIFO, interrupts, tap and activity detection, offsets,
// self-test, low power and sleep modes.
package adxl345
