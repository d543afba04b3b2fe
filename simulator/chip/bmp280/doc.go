// Package bmp280 emulates a Bosch BMP280 barometer, or a BME280 with
// humidity, on an I2C bus, byte for byte, for the simulator: attach a
// Chip to a chip.I2CBus at 0x76 (or 0x77) and the real drivers/bmp280
// driver talks to it through simulator/board.
//
// It keeps the chip's register file (BMP280 datasheet §4, BME280 §5): the
// chip ID (0x58, or 0x60 for a BME280), the factory trimming at
// 0x88..0xA1 (and 0xE1..0xE7), ctrl_hum, status, ctrl_meas, config and
// the result registers 0xF7..0xFC (0xFE). A write is (register, value)
// pairs, as on the chip; a lone address sets where a read starts, and
// reads auto-increment. 0xB6 to 0xE0 is a soft reset. Results read
// 0x80000 (humidity 0x8000) until a conversion, and for a quantity whose
// oversampling is 0 (skipped).
//
// Writing ctrl_meas in forced mode converts the Source's values at once
// and returns the chip to sleep; in normal mode every read that reaches
// the results converts afresh. Conversion is the inverse of the
// datasheets' integer compensation, found by bisection over the ADC
// codes for the chip's trimming (DefaultCalibration is the BMP280
// datasheet's worked example), on the grid the oversampling resolves:
// 16 bits at 1× up to 20 bits at 16× for temperature and pressure, 16 bits
// for humidity. A driver compensating the result gets the Source's values
// back within:
//
//	temperature  ±0.01 °C (the output's own resolution)
//	pressure     half the resolution step: ±1.5 Pa at 1×, ±0.8 Pa at 2×, ±0.4 Pa at 4×,
//	             ±0.2 Pa at 8×, ±0.1 Pa at 16× (at 300 hPa; less at sea level)
//	humidity     ±0.01 %RH
//
// for values within the chip's range (−40…85 °C, 300…1100 hPa, 0…100 %);
// outside it the codes saturate at the nearest one.
//
// Not emulated: conversion time (status never reads "measuring"), the
// standby time and IIR filter of normal mode, and SPI.
package bmp280
