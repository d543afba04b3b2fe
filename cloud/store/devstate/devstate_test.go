package devstate

import (
	"reflect"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

// seqs is the incarnations from, from+1, ..., to.
func seqs(from, to uint64) []uint64 {
	var out []uint64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestIncarnate(t *testing.T) {
	five := telemetry.Ranges{{First: 1, Last: 3}, {First: 6, Last: 7}}
	full := seqs(1, MaxPrevious) // a full list of earlier incarnations
	tests := []struct {
		name             string
		s                State
		inc              uint64
		want             State
		stale, restarted bool
	}{
		{name: "first outbox, no incarnation", s: State{}, inc: 0,
			want: State{Incarnations: 1}},
		{name: "first outbox, an incarnation", s: State{}, inc: 5,
			want: State{Incarnation: 5, Incarnations: 1}},
		{name: "upgrade from 0: the sequence numbers go on",
			s:    State{Incarnations: 1, Received: five},
			inc:  9,
			want: State{Incarnation: 9, Incarnations: 1, Received: five}},
		{name: "the same incarnation",
			s:    State{Incarnation: 9, Incarnations: 1, Received: five},
			inc:  9,
			want: State{Incarnation: 9, Incarnations: 1, Received: five}},
		{name: "no incarnation after one",
			s:    State{Incarnation: 9, Incarnations: 1, Received: five},
			inc:  0,
			want: State{Incarnation: 9, Incarnations: 1, Received: five}},
		{name: "a new incarnation restarts the set",
			s:         State{Incarnation: 9, Incarnations: 1, Received: five, PreviousReceived: 2, Duplicates: 4},
			inc:       11,
			want:      State{Incarnation: 11, Incarnations: 2, PreviousReceived: 7, Previous: []uint64{9}, Duplicates: 4},
			restarted: true},
		{name: "an earlier incarnation is stale",
			s:     State{Incarnation: 11, Incarnations: 3, Received: five, Previous: []uint64{9, 10}},
			inc:   9,
			want:  State{Incarnation: 11, Incarnations: 3, Received: five, Previous: []uint64{9, 10}},
			stale: true},
		{name: "the list keeps the latest MaxPrevious",
			s:         State{Incarnation: 100, Incarnations: MaxPrevious + 1, Previous: full},
			inc:       200,
			want:      State{Incarnation: 200, Incarnations: MaxPrevious + 2, Previous: append(seqs(2, MaxPrevious), 100)},
			restarted: true},
		{name: "a forgotten incarnation starts once more",
			s:         State{Incarnation: 200, Incarnations: MaxPrevious + 2, Previous: append(seqs(2, MaxPrevious), 100)},
			inc:       1,
			want:      State{Incarnation: 1, Incarnations: MaxPrevious + 3, Previous: append(seqs(3, MaxPrevious), 100, 200)},
			restarted: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			stale, restarted := s.Incarnate(tc.inc)
			if stale != tc.stale || restarted != tc.restarted {
				t.Errorf("Incarnate(%d) = stale %v, restarted %v; want %v, %v", tc.inc, stale, restarted, tc.stale, tc.restarted)
			}
			if !reflect.DeepEqual(s, tc.want) {
				t.Errorf("state after Incarnate(%d) = %+v, want %+v", tc.inc, s, tc.want)
			}
			if len(s.Previous) > MaxPrevious {
				t.Errorf("%d earlier incarnations kept, more than %d", len(s.Previous), MaxPrevious)
			}
		})
	}
}

func TestDevice(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		s    State
		want store.Device
	}{
		{name: "nothing received", s: State{},
			want: store.Device{ID: "d", Missing: telemetry.Ranges{}}},
		{name: "complete", s: State{LastSeen: at, Received: telemetry.Ranges{{First: 1, Last: 4}}, Incarnations: 1},
			want: store.Device{ID: "d", LastSeen: at, SeqHigh: 4, Missing: telemetry.Ranges{}, Received: 4, Incarnations: 1}},
		{name: "gaps and every counter",
			s: State{LastSeen: at, Duplicates: 1, Received: telemetry.Ranges{{First: 1, Last: 3}, {First: 6, Last: 6}, {First: 9, Last: 10}},
				Condensed: 2, Replayed: 3, FutureTime: 4, Incarnation: 5, Incarnations: 6, PreviousReceived: 7, Stale: 8, Previous: []uint64{1, 2}},
			want: store.Device{ID: "d", LastSeen: at, SeqHigh: 10, Missing: telemetry.Ranges{{First: 4, Last: 5}, {First: 7, Last: 8}},
				Received: 6, Duplicates: 1, Condensed: 2, Replayed: 3, FutureTime: 4, Incarnation: 5, Incarnations: 6,
				PreviousReceived: 7, StaleIncarnation: 8}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.s.Device("d")
			if !reflect.DeepEqual(got, tc.want) { // tells a nil Missing from an empty one
				t.Errorf("Device = %+v, want %+v", got, tc.want)
			}
			if got.Missing == nil {
				t.Error("Missing is nil, want never nil")
			}
		})
	}
}
