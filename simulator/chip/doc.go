// Package chip holds what the byte-level chip emulators share, and its
// subpackages hold the emulators themselves (chip/pms5003, …). An emulator
// speaks its chip's own bytes on an io.ReadWriter; the simulator connects
// it to the real driver through a pseudo-terminal (OpenPTY), so the driver
// under test opens a path like /dev/pts/3 exactly as it would open
// /dev/ttyAMA0 on a board.
package chip
