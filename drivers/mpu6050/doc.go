// Package mpu6050 drives the InvenSense (TDK) MPU-6050 6-axis motion
// sensor, accelerometer plus gyroscope, over I2C, for elevator
// monitoring.
//
// Datasheets: InvenSense "MPU-6000 and MPU-6050 Product Specification"
// rev. 3.4 (sensitivities, start-up times, operating range) and
// "MPU-6000 and MPU-6050 Register Map and Descriptions" RM-MPU-6000A-00
// rev. 4.2 (registers, temperature formula).
//
// # Bus
//
// I2C address 0x68 with AD0 low, 0x69 with it high. A register is read by
// writing its address and, after a repeated start, reading; reads of
// several bytes auto-increment. A write is the register address followed
// by its value.
//
// # Registers used
//
//	0x1A  CONFIG        bits 2:0 DLPF_CFG: 0 260 Hz … 3 44 Hz … 6 5 Hz (accelerometer bandwidth)
//	0x1B  GYRO_CONFIG   bits 4:3 FS_SEL: ±250/500/1000/2000 °/s = 131/65.5/32.8/16.4 counts per °/s
//	0x1C  ACCEL_CONFIG  bits 4:3 AFS_SEL: ±2/4/8/16 g = 16384/8192/4096/2048 counts per g
//	0x3B  ACCEL_XOUT_H … 0x48 GYRO_ZOUT_L: accel X, Y, Z, temperature, gyro X, Y, Z,
//	      each big-endian two's complement
//	0x6B  PWR_MGMT_1    bit 7 DEVICE_RESET, bit 6 SLEEP (set at power-up), bits 2:0 CLKSEL
//	0x75  WHO_AM_I      0x68 whatever AD0 says (the probe)
//
// Temperature in °C = TEMP_OUT / 340 + 36.53.
//
// New reads WHO_AM_I, resets the chip (PWR_MGMT_1 = 0x80) and waits
// 100 ms, wakes it with CLKSEL = 1 (PWR_MGMT_1 = 0x01: the PLL locked to
// the X gyroscope, which the register map recommends over the internal
// 8 MHz oscillator for stability), writes CONFIG, GYRO_CONFIG and
// ACCEL_CONFIG, and waits 35 ms for the gyroscope to start (30 ms
// typical). Read fetches the 14 data bytes from 0x3B in one transaction
// (register address, repeated start, 14 bytes): the chip updates the
// data registers together, and a burst read gives values from one
// sample. Halt sets SLEEP.
//
// # Errata and field notes
//
//   - Boards sold as MPU-6050 (GY-521) often carry an MPU-6500, WHO_AM_I
//     0x70 (github.com/adafruit/Adafruit_MPU6050 issue 47), or a clone
//     that answers 0x98 (github.com/ElectronicCats/mpu6050 issue 21).
//     Their register maps differ in places, so New refuses them with
//     ErrProbe and the ID it read rather than guess.
//   - The power-on state is asleep. Writing 0 to PWR_MGMT_1, as many
//     drivers do, wakes the chip on its internal oscillator; the
//     register map recommends a gyroscope reference instead.
//   - The reset brings every register, including the sample rate
//     divider (0: 1 kHz with the filter on), back to its default, so no
//     setting of an earlier run survives.
//
// # Plausibility
//
// A count of 32767 or −32768 from the accelerometer or the gyroscope means
// the output saturated: the true value is at the end of the range or
// beyond. A temperature outside −40…85 °C is outside the chip's operating
// range. Such values are marked in Sample.Suspect and counted in
// Stats.Suspect.
//
// # Registry
//
// The package registers driver "mpu6050" with drivers/sensor. The spec's
// I2C bus is opened through the Env; the address defaults to 0x68.
// Params: "accel_range" = "2g" (default), "4g", "8g" or "16g";
// "gyro_range" = "250" (default), "500", "1000" or "2000" °/s;
// "bandwidth" = the low-pass filter in Hz, "260", "184", "94", "44"
// (default), "21", "10" or "5". Each Sense yields AccelX, AccelY, AccelZ
// (m/s²), Temperature (°C), GyroX, GyroY and GyroZ (°/s); suspect values
// carry quality Suspect. Close puts the chip to sleep and closes the bus
// handle.
package mpu6050
