// Package pms5003 drives the Plantower PMS5003 and PMS7003 laser particle
// sensors over a UART (any periph conn.Conn whose Tx(w, r) writes w and
// then blocks until len(r) bytes arrive, such as drivers/tty.Port).
//
// Datasheet: Plantower "Digital universal particle concentration sensor
// PMS5003 series data manual" V2.3 (2016) and the PMS7003 manual V2.5,
// which share the protocol below. 9600 baud, 8N1, 3.3 V logic.
//
// # Wire format
//
// The chip sends frames of big-endian 16-bit words:
//
//	offset  bytes  meaning
//	0       2      start 0x42 0x4D ("BM")
//	2       2      length of the rest of the frame = 2×13+2 = 28 (0x001C)
//	4       6      PM1.0, PM2.5, PM10 µg/m³, "CF=1" (factory standard particle)
//	10      6      PM1.0, PM2.5, PM10 µg/m³, atmospheric environment
//	16      12     particles per 0.1 L beyond 0.3, 0.5, 1.0, 2.5, 5.0, 10 µm
//	28      2      reserved (the PMS7003 manual: version, error code)
//	30      2      check: 16-bit sum of bytes 0..29
//
// The host sends 7-byte commands 0x42 0x4D CMD DATAH DATAL SUMH SUML, the
// check being the 16-bit sum of the first five bytes: 0xE1 0x0000 passive
// mode, 0xE1 0x0001 active mode, 0xE2 0x0000 read (passive mode only),
// 0xE4 0x0000 sleep, 0xE4 0x0001 wake.
//
// In active mode, the power-on default, the chip sends a frame every
// ~2.3 s while readings are stable and every 200–800 ms while they change
// fast. In passive mode it sends one frame per read command. Readings are
// stable only ≥30 s after wake-up, because the fan must spin up first.
//
// # Errata and field notes
//
//   - Command replies. The manual's appendix lists an answer only for the
//     read command (a data frame), but chips in the field answer the
//     mode command and the sleep command with an 8-byte frame
//     0x42 0x4D 0x00 0x04 CMD DATAL SUMH SUML, echoing the command and its
//     data byte (e.g. 42 4D 00 04 E1 00 01 74 after "passive"). Wake has no
//     answer. Such replies turn up in the data stream, so the reader frames
//     by the length field (28 for data, 4 for a reply), never by a fixed 32
//     bytes, and skips replies it is not waiting for.
//   - The mode and the sleep state survive until power is cut, so a driver
//     that starts against a chip left asleep or in passive mode by an
//     earlier run must say what it wants: New sends wake and then the mode
//     command, and waits for the mode reply as its probe.
//   - Bytes 28–29 are "reserved" in the PMS5003 manual and are version and
//     error code in the PMS7003 manual; this driver only exposes them.
//   - Use the atmospheric values outdoors; the "CF=1" values are for
//     factory calibration and read higher above ~30 µg/m³.
//
// # Reading frames
//
// The reader hunts for 0x42 0x4D, reads the length, then reads exactly
// the rest of the frame; it never asks the conn for a byte past the end of
// the frame it is assembling, so a UART read never waits for bytes the
// chip will not send. A candidate whose length is neither 28 nor 4, or
// whose check fails, is dropped one byte at a time: the hunt restarts at
// the byte after its 0x42, so a real frame starting inside it is still
// found. A Read gives up after discarding Opts.MaxSkip bytes; it reports
// ErrChecksum if it saw corrupted frames and ErrNoFrame otherwise.
// Stats counts good frames, replies, bad checks and garbage bytes.
//
// Before each Read, and in New, the driver discards bytes waiting in the
// port's input buffer when the conn can (a ResetInputBuffer() error
// method, as drivers/tty.Port has), so that an active-mode Read returns a
// frame sent after the call rather than a stale one queued since the last.
//
// # Registry
//
// The package registers driver "pms5003" with drivers/sensor. Params:
// "mode" = "passive" (default) or "active". Each Sense yields PM1, PM2_5
// and PM10 readings from the atmospheric values.
package pms5003
