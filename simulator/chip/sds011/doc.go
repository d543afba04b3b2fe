// Package sds011 emulates a Nova Fitness SDS011 particle sensor byte for
// byte, for the simulator: it speaks the chip's UART protocol on an
// io.ReadWriter (normally the master of a chip.PTY, whose slave the real
// drivers/sds011 driver opens through drivers/tty).
//
// What it does, following the control protocol V1.3 and what chips in
// the field do:
//
//   - It starts as from the factory: awake, active reporting, continuous,
//     sending a 10-byte data frame AA C0 … AB every Opts.Period (1 s, as
//     the real chip). With a working period of n minutes it sends one
//     frame every n × Opts.Minute instead (the real chip sleeps between
//     and measures for 30 s before each frame; the emulator only keeps
//     the pace).
//   - It reads 19-byte commands AA B4 CMD DATA1..12 ID ID CS AB, ignoring
//     candidates whose checksum or tail is wrong (State.BadCommands),
//     commands for another device id, and stray bytes.
//   - It answers reporting mode (0x02), sleep/work (0x06) and working
//     period (0x08), get and set, with AA C5 CMD OP VALUE 00 ID ID CS AB;
//     set device id (0x05) with the new id; firmware (0x07) with the date
//     in Opts.Firmware; query (0x04) with a data frame, in either mode,
//     while awake.
//   - Asleep, it obeys and answers only the work command, and counts the
//     others as ignored. That stands for the field erratum the driver
//     guards against: a sleeping chip takes a command only as a wake-up
//     call. (The datasheet says any command wakes it; real chips differ.)
//
// Values come from a Source, called with the time a frame is built,
// rounded to tenths of a µg/m³ and clamped to what two bytes hold.
//
// Like a UART with nobody listening, the emulator never queues without
// bound: writes happen on one goroutine behind a short queue, and a
// periodic frame that finds the queue full is dropped (State.Dropped).
package sds011
