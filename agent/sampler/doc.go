// Package sampler runs one sensor: it opens the sensor through the driver
// registry, samples it at its interval with its own timeout, and hands the
// readings to a sink (the outbox). A sensor that is absent or fails is
// retried with capped, jittered backoff while the agent's other sensors go
// on sampling: a sampler never ends the agent. Values are corrected by the
// sensor's calibration (Opts.Calibrate) before the sink sees them.
package sampler
