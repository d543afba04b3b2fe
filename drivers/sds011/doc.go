// Package sds011 drives the Nova Fitness SDS011 laser particle sensor over
// a UART (any periph conn.Conn whose Tx(w, r) writes w and then blocks
// until len(r) bytes arrive, such as drivers/tty.Port).
//
// Datasheet: Nova Fitness "SDS011 Laser PM2.5 Sensor specification" V1.3
// and "Laser Dust Sensor Control Protocol" V1.3 (2015-07-20). 9600 baud,
// 8N1, 3.3 V logic on a 5 V supply.
//
// # Wire format
//
// The chip sends 10-byte frames:
//
//	offset  meaning
//	0       head 0xAA
//	1       0xC0 data frame, or 0xC5 reply to a command
//	2–3     PM2.5, tenths of a µg/m³, little-endian    (reply: command id, data)
//	4–5     PM10, tenths of a µg/m³, little-endian     (reply: data)
//	6–7     device id
//	8       checksum: low byte of the sum of bytes 2..7
//	9       tail 0xAB
//
// The host sends 19-byte commands AA B4 CMD DATA1..DATA12 ID1 ID2 CS AB,
// CS being the low byte of the sum of bytes 2..16 and ID FF FF meaning
// every chip on the line. Commands (byte 3 is 0 to get a setting, 1 to set
// it; byte 4 the value):
//
//	0x02  reporting mode: 0 active, 1 query     reply AA C5 02 op mode 00 ID ID CS AB
//	0x04  query data                            reply: a data frame
//	0x05  set device id                         (not used by this driver)
//	0x06  sleep and work: 0 sleep, 1 work       reply AA C5 06 op state 00 ID ID CS AB
//	0x07  firmware version                      reply AA C5 07 YY MM DD ID ID CS AB
//	0x08  working period: 0 continuous, 1–30 min reply AA C5 08 op period 00 ID ID CS AB
//
// The reporting mode and the working period survive power-off; the
// factory defaults are active mode and continuous (a frame a second).
// With a working period of n minutes the chip sleeps, wakes 30 s before
// the end of each period and measures once. Sleep does not survive
// power-off. Data is stable 30 s after the fan starts, and the datasheet
// recommends querying no more often than every 3 s.
//
// # Errata and field notes
//
//   - A sleeping chip does not answer a command other than work, or it
//     takes the first command it hears only as a wake-up call and answers
//     it with a few stray bytes or not at all (ricki-z/SDS011#21,
//     lewapek/sds-dust-sensors-arduino-library#6). New therefore starts
//     with the work command and sends it a second time when the first
//     gets no good reply.
//   - Replies to commands turn up in an active-mode data stream, so the
//     reader frames by head and kind (AA C0 or AA C5) and skips what it is
//     not waiting for. A frame whose checksum or tail is wrong is counted
//     and dropped one byte at a time; it is never fatal.
//   - Mode values are inverted against intuition: 0 is active, 1 is
//     query, in both the command and the reply.
//   - Values above 999.9 µg/m³ are outside the chip's range; Read counts
//     them (Stats.OutOfRange) and the registered sensor reports them as
//     telemetry.Suspect.
//   - Whether a chip in query mode answers a query while it sleeps between
//     working periods is not documented (?); use the continuous period in
//     query mode.
//
// # Reading frames
//
// The reader hunts for 0xAA followed by 0xC0 or 0xC5, reads exactly the
// rest of the 10-byte frame and never asks the conn for a byte past its
// end, so a UART read never waits for bytes the chip will not send. A
// read gives up after discarding Opts.MaxSkip bytes, reporting
// ErrChecksum if it saw corrupted frames and ErrNoFrame otherwise. Before
// each read, and in New, the driver discards bytes waiting in the port's
// input buffer when the conn can (a ResetInputBuffer() error method, as
// drivers/tty.Port has), so that an active-mode Read returns a frame sent
// after the call.
//
// # Registry
//
// The package registers driver "sds011" with drivers/sensor, opening the
// port at 9600 baud unless the spec says otherwise. Params: "mode" =
// "query" (default) or "active"; "period" = working period in minutes, 0
// (default) to 30. Each Sense yields PM2_5 and PM10 in µg/m³, marked
// telemetry.Warming in the first 30 s after the factory woke the chip and
// telemetry.Suspect above 999.9 µg/m³. Close puts the chip to sleep. The
// package also registers a sensor.StreamDecoder for captured bytes.
package sds011
