// Package edge holds what the device derives from its own readings so that
// it works offline: local threshold alarms (Alarms, any device) and the
// elevator detector (Detector).
//
// # Local alarms
//
// Alarms judges each reading against the config's edge.alarms: an alarm is
// raised (event_<name>, value 1) by a reading strictly beyond its limit and
// ended (value 0) by one at its clear value or on the safe side, per
// sensor stream, at the reading's own time. Bad and Suspect readings are
// not judged. The agent commits the events with the sample that caused
// them, in the outbox's urgent lane.
//
// # Elevator detector
//
// From one car's accelerometer, barometer, door contact, presence sensor
// and e-bike detector, the elevator detector derives the car's speed and
// floor and the events the elevator safety office must hear of even while
// the device is offline (trapped passenger, door open while moving,
// over-speed, abnormal vibration, e-bike in the car).
//
// A Detector is fed every reading of the car's sensors, in time order, by
// Observe, and returns derived readings stamped with event time. It never
// reads the wall clock, does O(1) work per reading (O(log n) in the n
// landings when it names a floor) and holds bounded memory: a few hundred
// bytes plus the vibration window (at most 4096 samples).
//
// # Inputs
//
// By quantity, from any sensor unless Opts.Sensors names them:
// telemetry.AccelZ (vertical, gravity included, positive up unless
// Opts.InvertAccel), telemetry.Pressure, telemetry.Temperature (optional:
// the barometer chip's own, for the pressure-to-height scale),
// telemetry.DoorOpen, telemetry.Presence and telemetry.EBike. Readings of
// Bad or Suspect quality are ignored.
//
// # Motion model
//
// At rest the accelerometer's reading is averaged into its static bias
// (gravity plus the chip's offset; a running mean, then an exponential one
// with time constant Opts.BiasTau). A trip starts when the bias-removed
// acceleration exceeds Opts.StartAccel, or when the barometric height
// changes faster than Opts.StartRate (a critically damped level-and-rate
// tracker with time constant Opts.BaroTau).
//
// During a trip a second-order complementary filter fuses the two sensors:
// the acceleration is integrated (trapezoids) into speed and height, and
// each barometer sample corrects both by its innovation e (barometric
// height minus predicted height): h += 2(Δt/τ)e, v += (Δt/τ²)e, τ =
// Opts.FusionTau. Motion faster than τ comes from the accelerometer, slower
// motion and the level from the barometer, so the integration cannot
// drift. Barometric height is hypsometric, h = (R·T/g)·ln(P_ref/P), about
// 11.8 Pa per metre at 20 °C near sea level, with T from Opts.AirTemperature
// or the latest Temperature reading. Either sensor alone still works: when
// the accelerometer falls silent for Opts.MaxGap the barometric tracker
// gives speed and height; without a barometer the integration runs
// uncorrected.
//
// A trip whose speed does not stay above Opts.MovingSpeed for
// Opts.MovingAfter is a jolt (a passenger jumping, the door mechanism,
// sensor noise): the car is treated as having stood still throughout. A trip ends when the speed has stayed below
// Opts.StopSpeed, and the height within Opts.StopBand, for Opts.StopAfter;
// the car stopped when that quiet began. Then the speed estimates are set to
// zero (zero-velocity update) and the height is held: while the car rests,
// any change of pressure is weather, and the barometric reference follows
// it, so a car parked overnight keeps its floor through any weather.
//
// # Floors
//
// Floors are landings at heights above the ground landing: uniform storeys
// of Opts.StoreyHeight with the ground landing Opts.GroundFloor, or the
// listed Opts.FloorHeights and Opts.FloorNumbers. The floor is the landing
// nearest the height. When the car rests with its door open within
// Opts.LandingTolerance of a landing, the height snaps to that landing:
// this removes what trips accumulate (weather during the trip, the error of
// the pressure-to-height scale, filter lag).
//
// # Events
//
// Each event is a reading of Value 1 at its begin and 0 at its end, from
// Opts.Name ("edge"), emitted once each:
//
//   - telemetry.EventTrapped begins Opts.TrappedAfter after the last of:
//     the car stopped, its door closed, someone was present; it ends when
//     the door opens or the presence sensor reports nobody (not when the
//     car moves: a car moved by a rescuer still holds its passenger).
//   - telemetry.EventDoorOpenMoving: door open and speed above
//     Opts.DoorSpeed; ends when either stops.
//   - telemetry.EventOverspeed: speed above Opts.MaxSpeed; ends below
//     Opts.MaxSpeed − Opts.SpeedHysteresis.
//   - telemetry.EventVibration: RMS of the acceleration about its mean
//     over the sliding Opts.VibrationWindow above Opts.VibrationLimit; ends
//     below the limit − Opts.VibrationHysteresis.
//   - telemetry.EventEBike: the e-bike detector has reported an e-bike
//     for Opts.EBikeAfter; ends when it reports none.
//
// Events that need a duration begin at the instant the duration was met,
// which the detector learns of at the next reading (the accelerometer's
// 50 Hz keeps that late by one sample at most). The others begin and end at
// the reading that changed them. Speed, Floor and Vibration are reported
// every Opts.Every during a trip, every Opts.IdleEvery at rest, and when a
// trip starts or stops.
//
// # Limits
//
//   - The barometer measures only changes of height. The absolute floor
//     rests on Opts.InitialHeight being right when the detector starts and
//     on door openings at landings; the agent should persist the last
//     floor across restarts. A detector started during a trip takes the
//     moving car's acceleration for its bias.
//   - Weather during a trip enters the height (a fall of 1 hPa an hour is
//     3.5 cm over a 15 s trip, a typhoon's fall more); without door openings
//     it accumulates trip after trip. So does a wrong scale: an air
//     temperature 10 K off is 3.4 % of every trip's height. Storeys of
//     irregular height must be listed, or the floor is off where they
//     differ.
//   - Shaft pressure is not still air: the car's piston effect, doors and
//     ventilation disturb it, and the model knows only white noise. In
//     simulation the defaults start no false trip in 100 minutes with
//     0.05 m/s² of accelerometer noise and up to 4 Pa of barometer noise,
//     or 0.08 m/s² and 1.3 Pa; beyond that they appear (0.08 m/s² and
//     2.6 Pa: one). Bosch's elevator setting for the BMP280 (×4
//     oversampling, IIR coefficient 4) gives 0.75 Pa (6.4 cm). A stronger
//     IIR filter delays the height: keep it at 4 or below, because the
//     complementary filter does the smoothing.
//   - The stop is recognised StopAfter late and dated when the speed fell
//     below StopSpeed, a few tens of milliseconds before the car truly
//     halts. A trip whose integration cannot settle (no barometer and an
//     accelerometer whose offset shifted) ends only after Opts.MaxTrip,
//     and its floor is then wrong.
//   - Over-speed is judged on the estimated speed, which lags the true
//     speed by up to a sample and carries the accelerometer's noise; it
//     is a monitor, not the safety gear's governor.
//   - The vibration RMS includes the car's own acceleration: a start at
//     a inside the window reads up to a/2, hence the default limit.
//   - A PIR sees only movement: a passenger sitting still reads as absent
//     and ends (or never starts) EventTrapped. Use a radar presence sensor
//     or the PIR's own hold time.
//   - A door that opens during the final approach or re-levelling below
//     Opts.DoorSpeed is not an event; movement with the door open but
//     slower than that (an unintended creep) is not detected.
//   - Readings must arrive in time order per quantity; an older one is
//     dropped. Across quantities a few milliseconds' disorder is absorbed:
//     outputs never go back in time.
package edge
