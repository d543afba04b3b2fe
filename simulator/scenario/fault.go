package scenario

import "time"

// FaultKind is how a sensor fails.
type FaultKind string

// Fault kinds.
const (
	// Garbage: a UART chip's bytes are replaced by noise on their way to
	// the host (a loose ground, a cable next to a contactor, a wrong baud
	// rate). Every write of the chip becomes Fault.Bytes, repeated or cut
	// to the write's length: the same bytes each time, so that what a
	// driver sees does not depend on when it starts reading.
	Garbage FaultKind = "garbage"
	// Stuck: the sensor keeps reporting what it measured when the fault
	// began (a frozen transmitter, a jammed rain-gauge bucket, fouled
	// optics). A jammed rain gauge loses the rain that falls meanwhile.
	Stuck FaultKind = "stuck"
	// LoopCurrent: a 4–20 mA loop carries Fault.MilliAmps whatever the
	// transmitter measures: below 3.6 mA a broken loop or a transmitter's
	// low alarm (NAMUR NE 43), above 21 mA a short or its high alarm.
	LoopCurrent FaultKind = "loop_current"
	// Unplugged: the sensor does not answer. A UART chip's line goes
	// silent both ways, an I2C chip NACKs, a GPIO line floats (its pull
	// resistor decides: a door contact reads open, a PIR nobody) and a
	// rain gauge's pulses are lost.
	Unplugged FaultKind = "unplugged"
)

// DefaultGarbage is what a Garbage fault writes when its Bytes are not
// given: line noise, with a 0xFF and the start of a PMS5003 header in it
// so that drivers hunting for frames find false starts too.
var DefaultGarbage = []byte{0x3c, 0x00, 0xff, 0x91, 0x07, 0x42, 0x4d, 0xe0, 0x1c, 0x7f, 0x00, 0x00, 0x86, 0xfe, 0x15, 0x61}

// Fault is one sensor failure over a span of scenario time.
type Fault struct {
	Sensor    string        // the name of the scenario's sensor
	Kind      FaultKind     // what happens
	At        time.Duration // when it begins, from the start
	For       time.Duration // how long it lasts; 0 means to the end
	MilliAmps float64       // LoopCurrent: the loop's current, mA
	Bytes     []byte        // Garbage: what replaces each write; nil means DefaultGarbage
}

// Active reports whether the fault is in effect at since.
func (f *Fault) Active(since time.Duration) bool {
	return since >= f.At && (f.For <= 0 || since < f.At+f.For)
}

// faults are the faults of one sensor.
type faults []*Fault

// active returns the first fault of kind in effect at since, or nil.
func (fs faults) active(kind FaultKind, since time.Duration) *Fault {
	for _, f := range fs {
		if f.Kind == kind && f.Active(since) {
			return f
		}
	}
	return nil
}

// measureAt is the instant whose world a sensor reports at since: the
// start of a Stuck fault in effect, else since itself.
func (fs faults) measureAt(since time.Duration) time.Duration {
	if f := fs.active(Stuck, since); f != nil {
		return f.At
	}
	return since
}
