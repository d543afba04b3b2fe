// Package ads1115 emulates a TI ADS1115 16-bit ADC on the simulator's I²C
// bus (a chip.I2CDevice: attach it with board.I2C("1").Attach(0x48, c)),
// with 4–20 mA transmitter loops on its inputs, for drivers/ads1115level.
//
// What it does, following datasheet SBAS444D:
//
//   - The register file: pointer register (the first byte of every
//     write), conversion (0x00, read-only), config (0x01, power-on
//     0x8583), Lo_thresh (0x02, 0x8000) and Hi_thresh (0x03, 0x7FFF),
//     16 bits big-endian. A 3-byte write sets a register; a 1-byte write
//     sets only the pointer; a read returns the register the pointer
//     selects, and reading on repeats it.
//   - Single-shot mode (MODE=1): writing OS=1 starts a conversion that
//     takes 1/DR, stretched by Opts.Slow to mimic the ±10% oscillator,
//     plus 25 µs to power up. Meanwhile config reads OS=0 and the
//     conversion register keeps the previous result; writing OS=1 again
//     has no effect. At the end the input is sampled, through MUX and
//     PGA, into the conversion register: round(V / FS × 32768),
//     saturating at 0x7FFF and 0x8000.
//   - Continuous mode (MODE=0): every read of the conversion register
//     gives the input now, and OS reads 0.
//   - The comparator and ALERT/RDY are not emulated.
//
// Inputs are Inputs: a voltage as a function of time. Loop is a 4–20 mA
// current loop through a shunt, whose transmitter follows a value over
// its span (saturating at 3.8 and 20.5 mA as NAMUR NE 43 asks), and
// which a scenario can break (0 mA, the open loop NE 43 calls a
// failure), short (25 mA) or set to a transmitter's alarm current.
package ads1115
