// Package mpu6050 emulates an InvenSense MPU-6050 motion sensor on an I2C
// bus, byte for byte, for the simulator: attach a Chip to a chip.I2CBus at
// 0x68 (or 0x69) and the real drivers/mpu6050 driver talks to it through
// simulator/board.
//
// It keeps the chip's register file (register map RM-MPU-6000A-00 rev.
// 4.2) with the power-on values: PWR_MGMT_1 0x40 (asleep, internal
// oscillator), WHO_AM_I 0x68 (read-only), everything else 0. A write is a
// register address followed by values for it and the next registers; a
// read starts at the address last written and auto-increments. Writes to
// read-only registers (the data registers 0x3A..0x60, WHO_AM_I) are
// ignored. Setting PWR_MGMT_1's DEVICE_RESET bit brings every register
// back to its power-on value, and the bit reads back as 0.
//
// A read that covers any of ACCEL_XOUT_H..GYRO_ZOUT_L (0x3B..0x48) while
// the chip is awake first latches a new sample from the Source, so the 14
// bytes of one burst belong together, as on the chip; asleep, the data
// registers keep their last values (zeros after power-up). Values become
// counts at the nominal sensitivities for ACCEL_CONFIG's and
// GYRO_CONFIG's full-scale settings (16384/8192/4096/2048 counts per g,
// 131/65.5/32.8/16.4 per °/s) and TEMP_OUT = (°C − 36.53) × 340, rounded
// and saturated at ±32767/−32768, big-endian.
//
// Not emulated: the FIFO, interrupts, the auxiliary I2C master, self-test,
// offsets, the digital low-pass filter's smoothing (CONFIG is kept but the
// Source's value is returned as it is) and the sample rate divider.
package mpu6050
