// Package clock tells the agent what time it is and whether to believe
// it. A Raspberry Pi has no real-time clock: it boots with the time it
// last saved (or 1970) and steps to the right time when NTP first
// synchronises. Readings taken before that are stamped with the wrong
// wall time; the agent keeps them with the wall-minus-boot offset of the
// moment (the "epoch"), which does not change while the clock runs free,
// and corrects them by the step once the clock is synchronised.
package clock

import (
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Clock is the agent's view of time.
type Clock interface {
	// Now is the wall-clock time.
	Now() time.Time
	// SinceBoot is the time since the board booted, counting suspend;
	// it never steps.
	SinceBoot() time.Duration
	// Synced reports whether the wall clock is synchronised to a time
	// source.
	Synced() bool
	// BootID identifies the current boot; it changes at every reboot.
	BootID() string
}

// Epoch is the wall time the clock puts at the moment of boot. It is
// constant while the clock runs free and moves when the clock is stepped.
func Epoch(c Clock) time.Time { return c.Now().Add(-c.SinceBoot()) }

// System is the board's clock: the kernel's wall clock, CLOCK_BOOTTIME,
// the kernel's synchronisation status (adjtimex: what timedatectl shows
// as "System clock synchronized") and /proc/sys/kernel/random/boot_id.
type System struct{}

var _ Clock = System{}

func (System) Now() time.Time { return time.Now() }

func (System) SinceBoot() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// Synced reports the kernel's view. Where adjtimex cannot be asked, the
// clock is trusted: refusing to send would be worse than a flagged time.
func (System) Synced() bool {
	var tx unix.Timex
	state, err := unix.Adjtimex(&tx)
	if err != nil {
		return true
	}
	return state != unix.TIME_ERROR && tx.Status&unix.STA_UNSYNC == 0
}

func (System) BootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// Trusted is a Clock that is always synchronised: for simulated boards
// and tests whose host clock is right.
type Trusted struct{ System }

func (Trusted) Synced() bool { return true }

// Skewed is a Clock that runs apart from the host's clock: a simulated
// board's, which may boot hours wrong while the host's is right. Drivers
// stamp readings with the host's time.Now, which on a real board is the
// board's own clock; under a Skewed clock the agent moves each reading by
// Skew, so that readings carry the board's time as they would on the
// board.
type Skewed interface {
	Clock
	// Skew is the clock's wall time less the host's (time.Now). It must
	// agree with the state Synced last reported: a Skewed clock steps
	// when Synced is asked, never between, because the agent asks Synced
	// and then Skew under one lock to flag and stamp a reading together.
	Skew() time.Duration
}
