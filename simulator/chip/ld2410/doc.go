// Package ld2410 emulates a Hi-Link HLK-LD2410 mmWave presence radar byte
// for byte, for the simulator: it speaks the radar's UART protocol on an
// io.ReadWriter (normally the master of a chip.PTY, whose slave the real
// drivers/ld2410 driver opens through drivers/tty at 256000 baud).
//
// What it does, following the serial communication protocol V1.02:
//
//   - It sends a basic report F4 F3 F2 F1 0D 00 02 AA state … 55 00 F8 F7
//     F6 F5 every Opts.Period (100 ms by default, the real radar's fixed
//     rate), except in configuration mode.
//   - It reads command frames FD FC FB FA len word value 04 03 02 01,
//     ignoring stray bytes and counting candidates with an impossible
//     length or a wrong footer (State.BadCommands).
//   - Enable configuration (0x00FF) enters configuration mode and is
//     ACKed with protocol version 1 and buffer size 64. In configuration
//     mode, end configuration (0x00FE) leaves it, read firmware (0x00A0)
//     answers with Opts.Firmware, and any other command is ACKed with
//     status 1 (failure): the emulator does not model gate settings,
//     engineering mode or Bluetooth. Outside configuration mode commands
//     other than enable configuration are ignored (State.Ignored).
//
// Values come from a Source, called with the time a report is built: the
// distances to a moving and to a stationary target in metres, either
// absent when 0. The state byte follows from which are present; distances
// are rounded to centimetres; the energies (100 near, falling 1 per 10 cm,
// never below 10) and the detection distance (the farther target) are
// plausible, not physical.
//
// Like a UART with nobody listening, the emulator never queues without
// bound: writes happen on one goroutine behind a short queue, and a
// report that finds the queue full is dropped (State.Dropped).
package ld2410
