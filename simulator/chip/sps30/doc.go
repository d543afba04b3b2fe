// Package sps30 emulates a Sensirion SPS30 particulate matter sensor on
// an I2C bus, byte for byte, for the simulator: attach a Chip to a
// chip.I2CBus at 0x69 and the real drivers/sps30 driver talks to it
// through simulator/board.
//
// What it does, following the datasheet (version 2.0, §4 and §6):
//
//   - It starts idle, as after power-up. A write of 2 bytes sets the
//     16-bit pointer and runs its command; argument words follow as
//     (MSB, LSB, CRC-8) and any bad CRC makes it NACK the write. A read,
//     in its own transaction, returns the reply to the pointer's command
//     as words with CRCs, and 0xFF past its end; reading again without a
//     new pointer returns the item again. A write followed by a repeated
//     start is NACKed: the real chip needs a STOP in between.
//   - Start measurement (0x0010, format 0x03 float or 0x05 uint16) from
//     idle only; stop (0x0104); reset (0xD304, back to idle; the cleaning
//     interval survives, as it lives in non-volatile memory).
//   - While measuring it takes a measurement every Opts.Period (1 s, as
//     the real chip) from the Source, at the time the measurement is due,
//     and raises the data-ready flag (0x0202); reading the values (0x0300)
//     lowers it. Reading values in idle is NACKed.
//   - Fan cleaning (0x5607, measuring only) and the automatic cleaning
//     every interval (0x8004, seconds; 0 is off; the countdown restarts at
//     each start) freeze the values for CleaningTime (10 s).
//   - Serial number (0xD033), product type "00080000" (0xD002), firmware
//     2.2 (0xD100) and a clear device status register (0xD206).
//
// Simplifications: commands take effect at once (the real chip may NACK
// for up to 100 ms while it executes one); stop is accepted in idle mode,
// about which the datasheet is silent; sleep and wake-up (firmware 2.0)
// are not emulated and are NACKed like unknown commands.
package sps30
