// Package modbusradar emulates a radar level sensor that is a Modbus RTU
// slave on RS485, byte for byte, for the simulator: it serves requests on
// an io.ReadWriter (normally the master of a chip.PTY, whose slave the
// real drivers/modbuslevel driver opens through drivers/tty).
//
// What it does, following "MODBUS over Serial Line V1.02" and the
// Application Protocol V1.1b3:
//
//   - A request ends with t3.5 of silence (3.5 characters of 11 bits at
//     Opts.Baud; 1.75 ms above 19200 baud), as a real slave frames it.
//   - A frame whose CRC-16/MODBUS is wrong is dropped without an answer
//     (State.BadCRC). So is one for another slave address (multi-drop
//     bus: State.Ignored), and a broadcast (address 0), which is never
//     answered.
//   - Functions 0x03 (read holding registers) and 0x04 (read input
//     registers) are answered from the register map: exception 0x03
//     (illegal data value) for a count outside 1–125 or a malformed
//     request, 0x02 (illegal data address) when any register asked for
//     is not in the map. Any other function gets exception 0x01.
//   - The answer goes out after Opts.Delay (the sensor's processing time).
//
// The register map is vendor-specific, so the scenario builds it:
// SetRegisters puts fixed words (serial number, device address), Bind
// puts a value that is read from a Source at each request, encoded as
// uint16, int16, uint32, int32 or float32, high or low word first, with a
// scale. Radar is a ready-made map for a typical radar level sensor.
//
// SetFault makes the sensor misbehave: no answer, a corrupted CRC, a
// truncated answer or a fixed exception, until cleared.
package modbusradar
