package sensor

import (
	"fmt"
	"io"
	"sync"

	"github.com/xiuhua/xiuhua/telemetry"
)

// Decoded is one value decoded from a captured byte stream.
type Decoded struct {
	Offset   int64              // byte offset of the frame that carried it
	Quantity telemetry.Quantity // what it measures; the unit is Quantity.Unit()
	Value    float64
}

// StreamDecoder decodes a UART device's captured bytes from r (for
// `xiuhua-agent decode`), calling out for each value and bad for each
// frame it rejects, with the frame's offset and the reason. params are
// the driver's documented params (e.g. checksum variant). It returns nil
// at the end of r and never panics, whatever the input.
type StreamDecoder func(r io.Reader, params map[string]string, out func(Decoded), bad func(offset int64, reason string)) error

var decoders sync.Map // name → StreamDecoder

// RegisterDecoder makes a stream decoder available by driver name.
func RegisterDecoder(name string, d StreamDecoder) {
	if _, dup := decoders.LoadOrStore(name, d); dup {
		panic("sensor: decoder " + name + " registered twice")
	}
}

// LookupDecoder returns the stream decoder registered under name.
func LookupDecoder(name string) (StreamDecoder, error) {
	d, ok := decoders.Load(name)
	if !ok {
		var names []string
		decoders.Range(func(k, _ any) bool { names = append(names, k.(string)); return true })
		return nil, fmt.Errorf("sensor: no stream decoder for %q (have %v)", name, names)
	}
	return d.(StreamDecoder), nil
}
