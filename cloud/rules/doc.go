// Package rules judges readings against the plans' rules and reports when
// a stream (device, sensor) crosses one.
//
// Rules are judged on event time (the reading's own timestamp), never on
// arrival time; days and years are counted in China Standard Time
// (UTC+8). Kinds: Threshold (each value), Window (an aggregate of the
// trailing window, sliding), Period (an aggregate of a calendar period:
// 15 min, 1 h, a day judged once complete; the year judged to date), Rate
// (change per hour over a window), Event (event_* quantities), Silence
// (no reading for a while, judged by Tick on the collector's clock),
// Stuck (a value that has not moved) and Range (a physically impossible
// value).
//
// Every kind but Event and Range has hysteresis: a rule opens when its
// value is strictly beyond Limit for For and clears once back at Clear
// or on the safe side of it for ClearFor; a value in the band between
// restarts both durations.
//
// Work per reading is O(1) and memory per stream is bounded: a sliding
// window keeps Buckets buckets (it is judged at the resolution W/Buckets,
// the window at a reading being the Buckets buckets ending with the
// reading's) holding only what its rule reads, a period one running
// aggregate, the others a few values. A reading costs one map look-up for
// its stream and quantity however many rules judge it.
//
// Late data: a reading older than a stream's live state can place (before
// its window, its period, or its newest reading) is not judged live.
// Observe returns it as a Late span; the collector reads the stored
// readings of Late.Span and Replay judges them from a clean state,
// returning transitions marked Retrospective. The alert manager raises
// those it has not raised already.
package rules
