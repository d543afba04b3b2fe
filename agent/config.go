package agent

import (
	"github.com/xiuhua/xiuhua/agent/edge"
	"github.com/xiuhua/xiuhua/agent/sampler"
	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/telemetry"
)

// alarms translates the config's edge.alarms for the edge package. The
// config has validated them and filled in Clear.
func alarms(as []configs.Alarm) []edge.Alarm {
	out := make([]edge.Alarm, len(as))
	for i, al := range as {
		e := edge.Alarm{Name: al.Name, Quantity: al.Quantity, Sensor: al.Sensor}
		if al.Below != nil {
			e.Below, e.Limit = true, *al.Below
		} else if al.Above != nil {
			e.Limit = *al.Above
		}
		e.Clear = e.Limit
		if al.Clear != nil {
			e.Clear = *al.Clear
		}
		out[i] = e
	}
	return out
}

// calibration translates a sensor's calibration for its sampler.
func calibration(c map[telemetry.Quantity]configs.Calibration) map[telemetry.Quantity]sampler.Linear {
	if len(c) == 0 {
		return nil
	}
	out := make(map[telemetry.Quantity]sampler.Linear, len(c))
	for q, l := range c {
		out[q] = sampler.Linear{Scale: l.Scale, Offset: l.Offset}
	}
	return out
}
