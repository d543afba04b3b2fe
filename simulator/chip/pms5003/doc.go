// Package pms5003 emulates a Plantower PMS5003 particle sensor byte for
// byte, for the simulator: it speaks the chip's UART protocol on an
// io.ReadWriter (normally the master of a chip.PTY, whose slave the real
// drivers/pms5003 driver opens through drivers/tty).
//
// What it does, following the datasheet and what chips in the field do:
//
//   - It starts awake and in active mode, sending a 32-byte data frame
//     every Opts.Period. The default is 1 s so that simulations move
//     along; the real chip sends every ~2.3 s when readings are stable
//     (200–800 ms while they change fast).
//   - It reads 7-byte commands 42 4D CMD DATAH DATAL SUMH SUML and ignores
//     any whose check is wrong, as well as unknown commands and stray
//     bytes.
//   - 0xE1 sets passive (data 0) or active (data 1) mode and answers with
//     the 8-byte reply 42 4D 00 04 E1 DATAL SUMH SUML, as real chips do
//     although the datasheet does not say so.
//   - 0xE2 answers with a data frame, in passive mode and while awake.
//   - 0xE4 data 0 puts it to sleep (no frames; reply 42 4D 00 04 E4 00 01
//     77); data 1 wakes it, with no reply. Mode commands are obeyed and
//     answered while asleep. (These last two points are assumptions: the
//     datasheet is silent.)
//
// Values come from a Source, called with the time a frame is built. The
// atmospheric PM1/PM2.5/PM10 fields carry them, rounded and clamped to
// 0..65535; the "CF=1" fields equal them up to 30 µg/m³ and read 1.5×
// higher above, as on the real chip, where the two diverge; the particle
// counts are derived to be plausible (cumulative, falling with size), not
// physical. Bytes 28–29 are 0x97 0x00, as a field PMS5003 sends.
//
// Like a UART with nobody listening, the emulator never queues without
// bound: writes happen on one goroutine behind a short queue, and a
// periodic frame that finds the queue full is dropped (State.Dropped).
package pms5003
