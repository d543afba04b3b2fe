// Package devstate is a device's completeness state as both store
// backends keep it: its counters, the received set of its current
// incarnation (outbox), and the earlier incarnations it remembers. The
// rules by which a batch's incarnation starts a new one or is stale (see
// store.Store's Append) and the store.Device a state describes live here
// once, so that bolt and postgres cannot drift apart; each backend only
// stores and loads the fields.
package devstate

import (
	"slices"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

// State is a device's state, as Append works on it.
type State struct {
	LastSeen   time.Time
	Duplicates uint64
	Received   telemetry.Ranges // of the current incarnation

	Condensed, Replayed, FutureTime uint64

	Incarnation      uint64   // the current outbox's; 0 until a batch names one
	Incarnations     uint64   // outboxes the device has had, the current one included
	PreviousReceived uint64   // distinct sequence numbers received under earlier incarnations
	Stale            uint64   // sequence numbers stored new from earlier incarnations' batches
	Previous         []uint64 // earlier incarnations, oldest first, at most MaxPrevious
}

// MaxPrevious bounds the earlier incarnations a device state remembers. An
// incarnation forgotten and then heard from again starts an incarnation
// once more (its batches are stored; completeness restarts).
const MaxPrevious = 64

// Incarnate makes the batch's incarnation inc current when it is new to
// the device and reports whether it is an earlier one (see store.Store's
// Append for the rules). restarted is true when the received set was
// emptied.
func (s *State) Incarnate(inc uint64) (stale, restarted bool) {
	if s.Incarnations == 0 {
		s.Incarnations = 1 // the device's first outbox
	}
	switch {
	case inc == 0 || inc == s.Incarnation:
		return false, false
	case s.Incarnation == 0:
		// The outbox whose batches had no incarnation, now upgraded: its
		// sequence numbers go on.
		s.Incarnation = inc
		return false, false
	case slices.Contains(s.Previous, inc):
		return true, false
	}
	s.Previous = append(s.Previous, s.Incarnation)
	if n := len(s.Previous); n > MaxPrevious {
		s.Previous = slices.Clone(s.Previous[n-MaxPrevious:])
	}
	s.PreviousReceived += s.Received.Count()
	s.Received = nil
	s.Incarnation = inc
	s.Incarnations++
	return false, true
}

// Device is the store.Device the state describes. Its Missing is never
// nil, as store.Device promises.
func (s *State) Device(id string) store.Device {
	high := s.Received.Max()
	missing := s.Received.Gaps(high)
	if missing == nil {
		missing = telemetry.Ranges{}
	}
	return store.Device{
		ID:               id,
		LastSeen:         s.LastSeen,
		SeqHigh:          high,
		Missing:          missing,
		Received:         s.Received.Count(),
		Duplicates:       s.Duplicates,
		Condensed:        s.Condensed,
		Replayed:         s.Replayed,
		FutureTime:       s.FutureTime,
		Incarnation:      s.Incarnation,
		Incarnations:     s.Incarnations,
		PreviousReceived: s.PreviousReceived,
		StaleIncarnation: s.Stale,
	}
}
