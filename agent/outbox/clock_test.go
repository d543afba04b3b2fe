package outbox

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

func TestCorrectClockMovesUnsyncedReadingsByTheStep(t *testing.T) {
	ob := open(t, filepath.Join(t.TempDir(), "outbox.db"))
	ctx := context.Background()
	wrong := time.Date(1970, 1, 1, 0, 5, 0, 0, time.UTC) // a Pi without RTC boots near the epoch
	epoch := wrong.Add(-5 * time.Minute)
	rs := []telemetry.Reading{
		{Sensor: "dust", Quantity: telemetry.PM2_5, Value: 1, Time: wrong, Flags: telemetry.ClockUnsynced},
		{Sensor: "edge", Quantity: telemetry.EventTrapped, Value: 1, Time: wrong.Add(time.Second), Flags: telemetry.ClockUnsynced},
	}
	r, err := ob.Append(ctx, rs...)
	if err != nil {
		t.Fatal(err)
	}
	if err := ob.MarkUnsynced("boot-1", epoch, r); err != nil {
		t.Fatal(err)
	}
	// NTP steps the clock: the epoch becomes the real boot time.
	realEpoch := time.Date(2026, 11, 21, 7, 0, 0, 0, time.UTC)
	if n, err := ob.CorrectClock("boot-1", realEpoch); err != nil || n != 2 {
		t.Fatalf("corrected %d (%v), want 2", n, err)
	}
	data := records(t, ob, Data, 0, 0, 10)
	urgent := records(t, ob, Urgent, 0, 0, 10)
	if want := realEpoch.Add(5 * time.Minute); !data[0].Time.Equal(want) || data[0].Flags != telemetry.ClockCorrected {
		t.Fatalf("data reading = %v %v, want %v corrected", data[0].Time, data[0].Flags.Names(), want)
	}
	if want := realEpoch.Add(5*time.Minute + time.Second); !urgent[0].Time.Equal(want) || urgent[0].Flags != telemetry.ClockCorrected {
		t.Fatalf("event = %v %v, want %v corrected", urgent[0].Time, urgent[0].Flags.Names(), want)
	}
	// Correcting twice does nothing.
	if n, _ := ob.CorrectClock("boot-1", realEpoch); n != 0 {
		t.Fatalf("second correction changed %d readings", n)
	}
}

func TestReadingsOfAnEarlierBootStayFlagged(t *testing.T) {
	ob := open(t, filepath.Join(t.TempDir(), "outbox.db"))
	wrong := time.Unix(300, 0).UTC()
	r, _ := ob.Append(context.Background(), telemetry.Reading{Sensor: "dust", Quantity: telemetry.PM2_5, Time: wrong, Flags: telemetry.ClockUnsynced})
	ob.MarkUnsynced("boot-1", wrong, r)
	if n, err := ob.CorrectClock("boot-2", time.Now()); err != nil || n != 0 {
		t.Fatalf("a new boot's sync corrected %d readings of the old boot (%v)", n, err)
	}
	if got := records(t, ob, Data, 0, 0, 1); got[0].Flags != telemetry.ClockUnsynced || !got[0].Time.Equal(wrong) {
		t.Fatalf("reading = %+v, want untouched and flagged", got[0])
	}
}
