package modbusradar

import (
	"context"
	"io"
	"time"

	"github.com/xiuhua/xiuhua/simulator/chip"
)

// Serve speaks the chip's protocol on rw until ctx ends, then returns nil;
// or until reading or writing rw fails, then returns that error. See
// chip.ServeUART for how it ends its goroutines.
func (c *Chip) Serve(ctx context.Context, rw io.ReadWriter) error {
	return chip.ServeUART(ctx, rw, "modbusradar chip", c.loop)
}

// loop is the sensor's firmware: it collects bytes until t3.5 of silence
// ends a frame, answers it after the processing delay, and drops bytes
// beyond the 256-byte RTU limit.
func (c *Chip) loop(ctx context.Context, in <-chan []byte, out chan []byte, errc <-chan error) error {
	silence := time.NewTimer(time.Hour)
	silence.Stop()
	defer silence.Stop()
	var frame []byte
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			return err
		case b := <-in:
			if room := 256 - len(frame); room > 0 {
				frame = append(frame, b[:min(len(b), room)]...)
			}
			silence.Reset(c.gap)
		case <-silence.C:
			resp := c.Handle(frame)
			frame = nil
			if resp == nil {
				continue
			}
			if c.delay > 0 {
				t := time.NewTimer(c.delay)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					return nil
				}
			}
			select {
			case out <- resp:
			default: // nobody reads the line: the answer is lost, as on a bus
			}
		}
	}
}
