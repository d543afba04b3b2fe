package board

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/tty"
	"github.com/xiuhua/xiuhua/telemetry"

	_ "github.com/xiuhua/xiuhua/drivers/pms5003"
	_ "github.com/xiuhua/xiuhua/drivers/sds011"
	pmschip "github.com/xiuhua/xiuhua/simulator/chip/pms5003"
	sdschip "github.com/xiuhua/xiuhua/simulator/chip/sds011"
)

// serve runs an emulator's Serve on u's chip end until the test ends,
// and checks that it stops cleanly when asked.
func serve(t *testing.T, u *UART, fn func(context.Context, *ChipEnd) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx, u.Chip()) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("chip: %v", err)
		}
	})
}

// sense opens the named driver on the board's /dev/ttyAMA0 through the
// registry, as the agent's sampler does, and takes one sample.
func sense(t *testing.T, b *Board, driver string, params map[string]string) []telemetry.Reading {
	t.Helper()
	open, err := sensor.Lookup(driver)
	if err != nil {
		t.Fatal(err)
	}
	spec := sensor.Spec{Name: "dust", Driver: driver, Serial: sensor.Serial{Port: "/dev/ttyAMA0"}, Params: params, Interval: time.Second}
	dev, err := open(context.Background(), spec, b)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := dev.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	rs, err := dev.Sense(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func values(rs []telemetry.Reading) map[telemetry.Quantity]float64 {
	m := map[telemetry.Quantity]float64{}
	for _, r := range rs {
		m[r.Quantity] = r.Value
	}
	return m
}

// The real PMS5003 driver reads the emulator through an in-memory UART:
// the wake and mode commands, then a read in passive mode.
func TestUARTCarriesPMS5003(t *testing.T) {
	b := New()
	u := NewUART("/dev/ttyAMA0", nil)
	b.AddUART(u)
	c := pmschip.New(func(time.Time) pmschip.Values { return pmschip.Values{PM1: 12, PM2_5: 34, PM10: 56} }, nil)
	serve(t, u, func(ctx context.Context, e *ChipEnd) error { return c.Serve(ctx, e) })

	got := values(sense(t, b, "pms5003", nil))
	want := map[telemetry.Quantity]float64{telemetry.PM1: 12, telemetry.PM2_5: 34, telemetry.PM10: 56}
	if len(got) != len(want) {
		t.Fatalf("readings %v, want %v", got, want)
	}
	for q, v := range want {
		if got[q] != v {
			t.Errorf("%s = %v, want %v", q, got[q], v)
		}
	}
	// The driver's Close puts the chip to sleep: wait for the chip to take
	// that fourth command (wake, passive mode, read, sleep).
	st := c.State()
	for deadline := time.Now().Add(10 * time.Second); st.Commands < 4 && time.Now().Before(deadline); st = c.State() {
		time.Sleep(time.Millisecond)
	}
	if st.Active || !st.Asleep || st.Commands != 4 || st.BadCommands != 0 {
		t.Errorf("chip state %+v, want passive, asleep after Close, 4 commands, no bad ones", st)
	}
}

// The SDS011 driver in query mode, through the same line type.
func TestUARTCarriesSDS011(t *testing.T) {
	b := New()
	u := NewUART("/dev/ttyAMA0", nil)
	b.AddUART(u)
	c := sdschip.New(func(time.Time) sdschip.Values { return sdschip.Values{PM2_5: 23.4, PM10: 45.6} }, nil)
	serve(t, u, func(ctx context.Context, e *ChipEnd) error { return c.Serve(ctx, e) })

	got := values(sense(t, b, "sds011", map[string]string{"mode": "query"}))
	if got[telemetry.PM2_5] != 23.4 || got[telemetry.PM10] != 45.6 || len(got) != 2 {
		t.Errorf("readings %v, want pm2_5 23.4 and pm10 45.6", got)
	}
}

// A board opens a path with no UART added as a device file.
func TestOpenSerialWithoutUARTOpensTheFile(t *testing.T) {
	b := New()
	b.AddUART(NewUART("/dev/ttyAMA0", nil))
	_, err := b.OpenSerial(sensor.Serial{Port: "/nonexistent/ttyS9"})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/ttyS9") {
		t.Errorf("open of a path with no UART: %v, want the file's open error", err)
	}
}

// With nothing answering, Tx fails after the read timeout with an error
// that wraps tty.ErrTimeout and says how much arrived; the bytes written
// wait in the chip's direction.
func TestUARTTimeout(t *testing.T) {
	u := NewUART("/dev/ttyX", &UARTOpts{ReadTimeout: 20 * time.Millisecond})
	p := u.Open()
	u.Chip().Write([]byte{1})
	err := p.Tx([]byte{0x42, 0x4d}, make([]byte, 4))
	if !errors.Is(err, tty.ErrTimeout) {
		t.Fatalf("Tx: %v, want a timeout", err)
	}
	var to interface{ Timeout() bool }
	if !errors.As(err, &to) || !to.Timeout() {
		t.Errorf("Tx error %v does not report Timeout()", err)
	}
	if want := "tty: read timed out: /dev/ttyX: got 1 of 4 bytes in 20ms"; err.Error() != want {
		t.Errorf("Tx error %q, want %q", err, want)
	}
	buf := make([]byte, 8)
	n, err := u.Chip().Read(buf)
	if err != nil || !bytes.Equal(buf[:n], []byte{0x42, 0x4d}) {
		t.Errorf("chip read % x, %v; want 42 4d", buf[:n], err)
	}
}

// Close ends a Tx that is waiting, with tty.ErrClosed, and every later one.
func TestUARTCloseEndsTx(t *testing.T) {
	u := NewUART("/dev/ttyX", &UARTOpts{ReadTimeout: time.Hour})
	p := u.Open()
	done := make(chan error, 1)
	go func() { done <- p.Tx(nil, make([]byte, 2)) }()
	// Wait until the Tx is reading: its empty write leaves no trace, so
	// give it a byte it will take, then leave it short of the second.
	for u.Chip().Write([]byte{7}); ; time.Sleep(time.Millisecond) {
		u.toHost.mu.Lock()
		empty := len(u.toHost.buf) == 0
		u.toHost.mu.Unlock()
		if empty {
			break
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, tty.ErrClosed) {
		t.Errorf("pending Tx after Close: %v, want tty.ErrClosed", err)
	}
	if err := p.Tx([]byte{1}, nil); !errors.Is(err, tty.ErrClosed) {
		t.Errorf("Tx after Close: %v, want tty.ErrClosed", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// Each direction keeps Buffer bytes and counts the rest as overrun;
// ResetInputBuffer drops what the chip sent.
func TestUARTOverrunAndReset(t *testing.T) {
	u := NewUART("/dev/ttyX", &UARTOpts{Buffer: 10, ReadTimeout: 20 * time.Millisecond})
	p := u.Open()
	u.Chip().Write(bytes.Repeat([]byte{0xaa}, 6))
	u.Chip().Write([]byte{1, 2, 3, 4, 5, 6})
	if toChip, toHost := u.Overruns(); toChip != 0 || toHost != 2 {
		t.Errorf("overruns %d to chip, %d to host; want 0 and 2", toChip, toHost)
	}
	r := make([]byte, 10)
	if err := p.Tx(nil, r); err != nil {
		t.Fatal(err)
	}
	if want := []byte{0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 1, 2, 3, 4}; !bytes.Equal(r, want) {
		t.Errorf("read % x, want % x", r, want)
	}
	u.Chip().Write([]byte{9, 9})
	if err := p.(interface{ ResetInputBuffer() error }).ResetInputBuffer(); err != nil {
		t.Fatal(err)
	}
	if err := p.Tx(nil, r[:1]); !errors.Is(err, tty.ErrTimeout) {
		t.Errorf("Tx after reset: %v, want a timeout (nothing left)", err)
	}
}

// A read deadline in the past ends a waiting Read, as chip.ServeUART
// needs to stop; clearing it lets reads wait again.
func TestChipEndDeadline(t *testing.T) {
	u := NewUART("/dev/ttyX", nil)
	e := u.Chip()
	done := make(chan error, 1)
	go func() {
		_, err := e.Read(make([]byte, 4))
		done <- err
	}()
	e.SetReadDeadline(time.Unix(1, 0))
	if err := <-done; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read after a past deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	e.SetReadDeadline(time.Time{})
	u.Open().Tx([]byte{5, 6}, nil)
	buf := make([]byte, 4)
	if n, err := e.Read(buf); err != nil || !bytes.Equal(buf[:n], []byte{5, 6}) {
		t.Errorf("Read % x, %v; want 05 06", buf[:n], err)
	}
}
