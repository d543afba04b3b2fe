// Package ultrasonic emulates a waterproof ultrasonic distance board with
// a UART output (DFRobot A02YYUW, JSN-SR04T V3, AJ-SR04M) byte for byte,
// for the simulator: it speaks the board's protocol on an io.ReadWriter
// (normally the master of a chip.PTY, whose slave the real
// drivers/ultrasonic driver opens through drivers/tty).
//
// Each measurement is a 4-byte frame FF H L SUM, distance = H<<8 | L mm,
// SUM = (0xFF + H + L) & 0xFF, or (H + L) & 0xFF with Opts.SumNoHeader as
// on some AJ-SR04M clones. The board either sends a frame every
// Opts.Period on its own (100 ms by default, as the A02YYUW and the
// JSN-SR04T in mode 2) and ignores what it receives, or, with
// Opts.Trigger, answers each Opts.TriggerByte (0x55 by default, as the
// JSN-SR04T in mode 3; the AJ-SR04M in mode 4 wants 0x01) with one frame
// and ignores other bytes. The mode is fixed, as a resistor on the board
// sets it.
//
// Values come from a Source, called with the time a frame is built: the
// distance to the surface, rounded to the millimetre and clamped to
// 0–65535. What a real board sends with no echo, or inside its blind
// zone, is not documented; the emulator sends what the Source says, so a
// scenario can feed implausible distances to exercise the driver's range
// check.
//
// Like a UART with nobody listening, the emulator never queues without
// bound: writes happen on one goroutine behind a short queue, and a frame
// that finds the queue full is dropped (State.Dropped).
package ultrasonic
