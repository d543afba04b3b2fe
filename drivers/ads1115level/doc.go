// Package ads1115level reads a 4–20 mA level (or pressure, or any)
// transmitter through a shunt resistor on one single-ended input of a
// TI ADS1115 16-bit ADC on I²C, and checks the loop current against
// NAMUR NE 43.
//
// Datasheet: Texas Instruments SBAS444D "ADS111x Ultra-Small, Low-Power,
// I²C-Compatible, 860-SPS, 16-Bit ADCs" (2009, rev. 2018). I²C addresses
// 0x48–0x4B (ADDR pin to GND, VDD, SDA, SCL).
//
// # Wire format
//
// Registers are 16 bits, big-endian. A write [P, MSB, LSB] sets the
// register that pointer P selects; a write [P] followed by a 2-byte read
// (repeated start) reads it. Pointer 0x00 is the conversion result (two's
// complement), 0x01 the configuration:
//
//	bit 15     OS: write 1 to start a single conversion; reads 0 while converting
//	bits 14:12 MUX: 100+n = AINn against GND (single-ended)
//	bits 11:9  PGA full scale: ±6.144, ±4.096, ±2.048, ±1.024, ±0.512, ±0.256 V
//	bit 8      MODE: 1 = single-shot (power down after each conversion)
//	bits 7:5   DR: 8, 16, 32, 64, 128, 250, 475, 860 samples/s
//	bits 4:0   comparator; 0b00011 disables it (ALERT/RDY high-impedance)
//
// One reading is: write the configuration with OS=1 (channel 0, ±4.096 V,
// 128 SPS: 01 C3 83), wait a conversion time, poll the configuration
// register (01 → 2 bytes) until OS reads 1, then read the conversion
// register (00 → 2 bytes). At ±4.096 V one step is 125 µV: 4 mA through
// 150 Ω is 0.6 V = 4800 (0x12C0), 20 mA is 3.0 V = 24000 (0x5DC0).
// The power-on configuration is 0x8583.
//
// # Current, value and NAMUR NE 43
//
// I = V / shunt. value = low + (high − low) × (I − 4 mA) / 16 mA, then
// value × scale + offset. NAMUR NE 43 (as REFERENCE.md gives it): below
// 3.6 mA or above 21 mA the loop signals a failure (open loop, broken
// wire, transmitter alarm; short circuit): Status FaultLow/FaultHigh,
// Quality Bad, counted in Stats. 3.6–3.8 mA and 20.5–21 mA are under-
// and over-range: Quality Suspect. 3.8–20.5 mA is a measurement. A
// conversion at the ADC's full scale (the input at or beyond the PGA
// range) is a fault too, since the current cannot be known.
//
// # Choosing the range
//
// The PGA range is the smallest that holds 22 mA across the shunt, so
// that the whole NE 43 band up to the high failure threshold can be
// measured: 150 Ω (3.3 V) → ±4.096 V. This differs from REFERENCE.md for
// a 100 Ω shunt, which it pairs with ±2.048 V: 21 mA × 100 Ω = 2.1 V is
// beyond 2.048 V, so that range saturates at 20.48 mA and cannot tell
// over-range (20.5–21 mA) from a short; ±4.096 V still gives 12800 steps
// over 4–20 mA. range_v overrides the choice; a saturated conversion is
// then reported as a fault.
//
// The ADS1115's inputs must stay between GND − 0.3 V and VDD + 0.3 V
// whatever the PGA range: at VDD = 3.3 V, 22 mA × shunt must stay below
// ~3.6 V, so use at most 150 Ω (a 250 Ω shunt needs VDD = 5 V and then
// level shifting for the Pi's 3.3 V I²C).
//
// # Errata and field notes
//
//   - Upstream periph.io/x/devices/v3/ads1x15 (v3.7.4) is not used. It
//     waits a fixed 1/DR after starting a conversion and then reads the
//     conversion register without checking the OS (ready) bit. The
//     datasheet allows the data rate to be 10% slow (±10% oscillator)
//     and the chip takes ~25 µs to power up before converting, so the
//     wait can be short by more than 10%, and the register then still
//     holds the previous result: after power-up that is 0x0000, i.e.
//     0 mA, a false "broken loop" alarm; with two transmitters on one
//     chip it is the other channel's value. Others met exactly this
//     (hybridgroup/gobot#827, letscontrolit/ESPEasy#4467, the Adafruit
//     libraries' fixed delays). This driver polls the OS bit instead,
//     bounded by twice the conversion time, which costs a few bytes and
//     is right at any data rate. ads1x15 also does no I/O in its
//     constructor (no probe) and takes no ctx. The module is not in
//     go.mod, so nothing had to be added.
//   - Right after the configuration write the OS bit may still read 1
//     for the ~25 µs the chip takes to power up, so the first poll comes
//     only after the nominal conversion time.
//   - Several sensors may share one chip (one per channel). A conversion
//     is a write, a wait and reads; if another channel's configuration is
//     written meanwhile the result belongs to that channel. Dev
//     serialises conversions per bus and address across all Devs in the
//     process.
//   - The default 128 SPS (the chip's power-on rate, 7.8 ms) is a
//     compromise; 8 SPS averages over 125 ms and rejects more mains hum
//     on a long loop cable. A 4–20 mA loop should be sampled at least
//     every few seconds; NE 43 asks control systems to see a failure
//     current for some seconds before acting on it, which cloud/rules
//     durations can express.
//
// # Registry
//
// The package registers driver "ads1115level" with drivers/sensor. The
// spec's i2c bus and address (0x48–0x4B; 0 means 0x48) select the chip.
// Params:
//
//	low, high    value at 4 mA and at 20 mA, in the quantity's unit (required)
//	quantity     what the value is: water_level (default, m) or another
//	             measured quantity, e.g. distance (mm), pressure (Pa)
//	channel      0–3: AINn against GND (default 0)
//	shunt_ohms   shunt resistance in Ω, 1–1000 (default 150)
//	range_v      PGA full scale: 6.144, 4.096, 2.048, 1.024, 0.512 or 0.256
//	             (default: the smallest that holds 22 mA × shunt)
//	rate         samples/s: 8, 16, 32, 64, 128, 250, 475 or 860 (default 128)
//	scale        multiplies the value (default 1)
//	offset       is added after scale (default 0)
//
// Each Sense yields two readings with the same time and quality: the
// quantity's value and LoopCurrent in mA.
package ads1115level
