// Package tty wraps a serial port as a periph conn.Conn, so that UART
// sensor drivers can be written and tested like any other periph driver
// (byte for byte against conntest.Playback).
//
// It uses go.bug.st/serial rather than periph.io/x/host's serial package,
// which never sets the baud rate and only lists /dev/ttyS*. The line is
// always 8N1, raw (no echo, no CR/LF translation, no XON/XOFF), with
// RTS/CTS flow control off and the modem lines left as they are, so the
// same code runs on a real UART (/dev/ttyAMA0, /dev/ttyUSB0) and on the
// slave side of a Linux pseudo-terminal, which is how the simulator
// connects drivers to emulated chips.
//
// Tx(w, r) writes all of w, then blocks until exactly len(r) bytes have
// arrived, looping over the partial reads a UART delivers. The whole read
// is bounded by Opts.ReadTimeout; when it runs out Tx returns an error that
// wraps ErrTimeout (and has a Timeout() bool method returning true, like
// net errors). Bytes that arrived before the timeout are lost to the
// caller. Writes are not bounded: a UART drains its transmit buffer at the
// line rate whether or not anyone listens.
package tty
