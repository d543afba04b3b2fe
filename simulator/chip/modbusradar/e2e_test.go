package modbusradar

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/drivers/modbuslevel"
	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/drivers/tty"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/simulator/chip"
	"github.com/xiuhua/xiuhua/simulator/chip/chiptest"
	"github.com/xiuhua/xiuhua/telemetry"
)

// water is a settable distance in mm.
type water struct {
	mu sync.Mutex
	mm float64
}

func (w *water) Set(mm float64) { w.mu.Lock(); w.mm = mm; w.mu.Unlock() }
func (w *water) Source() Source {
	return func(time.Time) float64 { w.mu.Lock(); defer w.mu.Unlock(); return w.mm }
}

// serve runs c on a new pty until the test ends, and returns the pty.
func serve(t *testing.T, c *Chip) *chip.PTY {
	t.Helper()
	return chiptest.ServeOnPTY(t, c.Serve)
}

func openSensor(t *testing.T, p *chip.PTY, params map[string]string) (sensor.Sensor, error) {
	t.Helper()
	spec := sensor.Spec{Name: "radar", Driver: "modbuslevel", Serial: sensor.Serial{Port: p.SlavePath}, Params: params}
	return sensortest.Open(t, "modbuslevel", spec, board.New())
}

func TestRegisteredSensor(t *testing.T) {
	w := &water{mm: 4321}
	c := Radar(w.Source(), &Opts{Delay: 2 * time.Millisecond})
	p := serve(t, c)

	tests := []struct {
		name   string
		params map[string]string
		mm     float64
		q      telemetry.Quantity
		want   float64
	}{
		{"uint16 mm", map[string]string{"register": "0"}, 4321, telemetry.Distance, 4321},
		{"float32 m as water level below a 12.5 m mount", map[string]string{"register": "1", "type": "float32", "unit": "m",
			"scale": "-1", "offset": "12.5", "quantity": "water_level"}, 2500, telemetry.WaterLevel, 10},
		{"uint32 0.1 mm, low word first, input registers", map[string]string{"register": "0", "function": "4", "type": "uint32",
			"word_order": "little", "scale": "0.1"}, 1234.5, telemetry.Distance, 1234.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w.Set(tt.mm)
			s, err := openSensor(t, p, tt.params)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			rs, err := s.Sense(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != 1 || rs[0].Quantity != tt.q || rs[0].Value != tt.want || rs[0].Quality != telemetry.Good {
				t.Errorf("readings %+v, want %s = %v", rs, tt.q, tt.want)
			}
		})
	}
}

func TestFaultsThroughTheDriver(t *testing.T) {
	w := &water{mm: 800}
	c := Radar(w.Source(), nil)
	p := serve(t, c)
	s, err := openSensor(t, p, map[string]string{"register": "0", "timeout": "200ms"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var ex *modbuslevel.ExceptionError
	tests := []struct {
		fault Fault
		check func(error) bool
	}{
		{Fault{BadCRC: true}, func(err error) bool { return errors.Is(err, modbuslevel.ErrCRC) }},
		{Fault{Exception: DeviceBusy}, func(err error) bool { return errors.As(err, &ex) && ex.Code == DeviceBusy }},
		{Fault{Silent: true}, func(err error) bool { return errors.Is(err, modbuslevel.ErrTimeout) }},
		{Fault{Truncate: 5}, func(err error) bool {
			return errors.Is(err, modbuslevel.ErrTimeout) || errors.Is(err, modbuslevel.ErrTruncated)
		}},
		{Fault{}, nil},
	}
	for _, tt := range tests {
		c.SetFault(tt.fault)
		rs, err := s.Sense(context.Background())
		if tt.check == nil {
			// Recovered: the late or partial answers of the faults before
			// were flushed, not taken for this one.
			if err != nil || len(rs) != 1 || rs[0].Value != 800 {
				t.Errorf("after the faults: %+v, %v", rs, err)
			}
			continue
		}
		if err == nil || !tt.check(err) {
			t.Errorf("%+v: Sense = %+v, %v", tt.fault, rs, err)
		}
	}
	if st := c.State(); st.BadCRC != 0 || st.Ignored != 0 {
		t.Errorf("the driver sent frames the sensor could not take: %+v", st)
	}
}

func TestAbsentSlave(t *testing.T) {
	c := Radar(func(time.Time) float64 { return 1 }, &Opts{Slave: 9})
	p := serve(t, c)
	_, err := openSensor(t, p, map[string]string{"register": "0", "slave": "3", "timeout": "100ms"})
	if !errors.Is(err, modbuslevel.ErrTimeout) {
		t.Errorf("factory with nobody at slave 3 = %v, want ErrTimeout", err)
	}
	if st := c.State(); st.Ignored != 1 {
		t.Errorf("slave 9 saw %+v, want the probe ignored", st)
	}
}

// TestServeStopsOnPTY: ending ctx stops Serve at once, with no goroutine
// left, even while nobody reads the other end.
func TestServeStopsOnPTY(t *testing.T) {
	p, err := chip.OpenPTY()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer p.Close()
	base := runtime.NumGoroutine()
	c := Radar(func(time.Time) float64 { return 1 }, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Serve(ctx, p.Master) }()
	port, err := tty.Open(p.SlavePath, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 { // requests nobody reads the answers to
		port.Tx([]byte{0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0x84, 0x0a}, nil)
		time.Sleep(5 * time.Millisecond)
	}
	port.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after ctx ended")
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines left, want %d", runtime.NumGoroutine(), base)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st := c.State(); st.Requests == 0 {
		t.Errorf("State = %+v: no request framed", st)
	}
}
