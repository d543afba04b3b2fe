// Package ld2410 drives the Hi-Link HLK-LD2410 24 GHz mmWave presence
// radar (LD2410, LD2410B, LD2410C) over a UART (any periph conn.Conn
// whose Tx(w, r) writes w and then blocks until len(r) bytes arrive, such
// as drivers/tty.Port). In an elevator car it tells an empty car from one
// with someone in it, moving or still.
//
// Datasheet: Hi-Link "HLK-LD2410 Human presence sensing module, Serial
// communication protocol" V1.02 (2022-07-01); the LD2410B V1.04 and
// LD2410C V1.00 protocols share what this driver uses. 256000 baud
// (factory default), 8N1.
//
// # Wire format
//
// Every frame is a 4-byte header, a 2-byte little-endian length of the
// payload, the payload and a 4-byte footer. There is no checksum.
//
// Reports, sent unasked every 100 ms (a fixed rate, as iavorvel/MyLD2410#10
// notes):
//
//	F4 F3 F2 F1  0D 00  02 AA  state  mdist(2) menergy  sdist(2) senergy  ddist(2)  55 00  F8 F7 F6 F5
//
// data type 0x02 is a basic report (0x01 an engineering-mode report,
// whose payload continues with per-gate energies before 55 00); 0xAA is
// the target head, 0x55 the tail and 0x00 the check byte. state is 0
// nobody, 1 moving, 2 stationary, 3 both; distances are little-endian
// centimetres, energies 0–100.
//
// Commands and their ACKs:
//
//	FD FC FB FA  len(2)  word(2)  value…            04 03 02 01
//	FD FC FB FA  len(2)  word|0x0100  status(2)  value…  04 03 02 01
//
// status 0 is success. Commands other than enable configuration are only
// obeyed in configuration mode, during which the radar sends no reports:
//
//	enable configuration  0x00FF value 01 00  ACK value: protocol version(2), buffer size(2)
//	end configuration     0x00FE              ACK: status only
//	read firmware         0x00A0              ACK value: type(2), minor, major, build(4, LE)
//
// e.g. the firmware ACK FD FC FB FA 0C 00 A0 01 00 00 00 01 02 01 16 24 06
// 22 04 03 02 01 is version V1.02.22062416 (the build is printed in hex).
//
// # Errata and field notes
//
//   - Reports already on the line when a command is sent arrive before
//     its ACK; the reader skips them.
//   - A radar left in configuration mode by a run that died mid-command
//     sends no reports. New's probe ends configuration mode whatever
//     happens, so a restart recovers it.
//   - Without a checksum, corruption shows only as a wrong length, footer
//     or marker byte; such frames are counted (Stats.BadFrames) and
//     dropped one byte at a time.
//   - The published example of a basic report (in the protocol document
//     and reproduced by several libraries) says "stationary target" with
//     a stationary distance of 0 cm: the distance fields are only as good
//     as the radar's tracking.
//   - Distances beyond nine gates of 0.75 m (6.75 m) are implausible and
//     counted (Stats.OutOfRange); the registered sensor marks them
//     telemetry.Suspect. The LD2410C can be set to 0.2 m gates, which
//     shrinks the real range.
//
// # Reading frames
//
// The reader hunts for either header, reads the length, then reads
// exactly the rest of the frame, never asking the conn for a byte past
// its end. A Read sits out two conn read timeouts while waiting for a
// report. Before each Read, and in New, the driver discards bytes waiting
// in the port's input buffer when the conn can (a ResetInputBuffer() error
// method, as drivers/tty.Port has).
//
// # Registry
//
// The package registers driver "ld2410" with drivers/sensor, opening the
// port at 256000 baud unless the spec says otherwise, and a
// sensor.StreamDecoder of the same name. It takes no params. Each Sense
// yields Presence (the target state, 0–3) and, when a target is there,
// Distance in mm to the nearest.
package ld2410
