// Package ultrasonic drives waterproof ultrasonic distance sensors with a
// UART frame output — DFRobot A02YYUW (SEN0311), JSN-SR04T V3 in its
// serial modes, AJ-SR04M in its serial modes — over any periph conn.Conn
// whose Tx(w, r) writes w and then blocks until len(r) bytes arrive, such
// as drivers/tty.Port. Mounted above water, they measure the distance to
// the surface, from which the water level follows.
//
// Datasheets: DFRobot wiki SEN0311 "A02YYUW Waterproof Ultrasonic Sensor"
// (communication protocol section); JSN-SR04T V3.0 module description
// (modes set by resistor R27); AJ-SR04M module description (modes set by
// R19). 9600 baud, 8N1.
//
// # Wire format
//
// Each measurement is one 4-byte frame:
//
//	0xFF  H  L  SUM      distance = H<<8 | L millimetres
//
// SUM is (0xFF + H + L) & 0xFF on the A02YYUW and the JSN-SR04T (the
// DFRobot wiki's example: FF 07 A1 A7 is 1953 mm). Some AJ-SR04M clones
// send (H + L) & 0xFF instead; Opts.Checksum selects the variant.
//
// Boards either send a frame on their own every ~100 ms (A02YYUW "UART
// auto", JSN-SR04T mode 2 with R27 = 47 kΩ, AJ-SR04M mode 3) or measure
// only when a byte arrives on their RX line (JSN-SR04T mode 3, R27 =
// 120 kΩ: 0x55; AJ-SR04M mode 4, R19 = 47 kΩ: 0x01). Opts.Trigger and
// Opts.TriggerByte select that.
//
// # Errata and field notes
//
//   - The A02YYUW's processed output (RX floating or high) takes
//     100–300 ms per frame and is smoothed; with RX held low it sends raw
//     values every ~100 ms. Either way this driver asks for no more than
//     one frame at a time.
//   - The trigger byte differs by board: 0x55 on the JSN-SR04T V3, 0x01 on
//     the AJ-SR04M (two independent field reports; not in a datasheet)
//     (?). One AJ-SR04M owner found its H+L checksum off by one; such a
//     board fails every checksum and is reported as ErrChecksum rather
//     than read wrongly.
//   - Some DFRobot models send the same frame in centimetres (the
//     SEN0627 wiki's example FF 01 A1 A1 is 417 cm). This driver reads
//     millimetres, as the A02YYUW, JSN-SR04T and AJ-SR04M send.
//   - Waves and spray make single echoes jump. Measure takes the median
//     of several frames; the registered sensor takes five by default.
//   - The A02YYUW measures 30–4500 mm; the JSN-SR04T and AJ-SR04M have a
//     ~200–250 mm blind zone. What a board sends for a surface inside the
//     blind zone or beyond range is not documented (?): echoes outside
//     Opts.Min–Opts.Max are counted (Stats.OutOfRange) and a median
//     outside is flagged (Measurement.InRange), never dropped.
//
// # Reading frames
//
// The reader hunts for 0xFF, reads exactly the rest of a 4-byte frame
// and never asks the conn for a byte past its end. A frame whose checksum
// fails is counted and dropped one byte at a time, so a real frame
// starting inside it is still found. A read gives up after discarding
// Opts.MaxSkip bytes. Before each measurement the driver discards bytes
// waiting in the port's input buffer when the conn can (a
// ResetInputBuffer() error method, as drivers/tty.Port has), so that it is
// made of fresh frames. New probes the board by reading one frame.
//
// # Registry
//
// The package registers driver "ultrasonic" with drivers/sensor, opening
// the port at 9600 baud unless the spec says otherwise, and a
// sensor.StreamDecoder of the same name. Params:
//
//	checksum           "sum" (default) or "sum-no-header"
//	trigger            "true" or "false" (default): send a trigger byte before each frame
//	trigger_byte       the byte trigger sends, e.g. 0x01; default 0x55
//	min_mm, max_mm     plausible range, default 30 and 4500
//	samples            echoes per Sense, median taken; default 5
//	mounting_height_m  height of the sensor face in the station's datum
//
// Each Sense yields Distance in mm and, when mounting_height_m is set,
// WaterLevel = mounting_height_m − distance in metres, both
// telemetry.Suspect when the median lies outside the range.
package ultrasonic
