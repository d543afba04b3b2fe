package sampler

import "github.com/xiuhua/xiuhua/telemetry"

// Linear is a sensor's calibration for one quantity, fitted against a
// reference instrument: the sampler reports value×Scale + Offset, in the
// quantity's unit. The zero value reports 0 whatever the sensor says; the
// agent builds it from the config, where Scale defaults to 1.
type Linear struct {
	Scale  float64
	Offset float64
}

// calibrate corrects rs in place. A Bad reading is left as it is: its
// value means nothing, and a corrected one would look like a measurement.
func calibrate(rs []telemetry.Reading, cal map[telemetry.Quantity]Linear) {
	if len(cal) == 0 {
		return
	}
	for i := range rs {
		if c, ok := cal[rs[i].Quantity]; ok && rs[i].Quality != telemetry.Bad {
			rs[i].Value = rs[i].Value*c.Scale + c.Offset
		}
	}
}
