package load

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
)

// conn is a lean MQTT 3.1.1 client: packets are encoded and decoded with
// mochi-mqtt's packet codec, written through one buffered writer and read
// by one goroutine. It is what lets one process offer a city's traffic:
// paho spends a goroutine hand-off and a token per message, which at
// 100,000 messages a second would cost the generator more than the
// collector it measures. It publishes at QoS 1 with a bounded window of
// packets awaiting the broker's PUBACK, and PUBACKs what it receives.
type conn struct {
	nc net.Conn
	r  *bufio.Reader

	// wmu guards w and buf. The packet ids have their own lock, so that
	// the read goroutine never waits for a writer that may itself wait
	// for the broker to read (the broker stops reading while its PUBACKs
	// to us are not read).
	wmu sync.Mutex
	w   *bufio.Writer
	buf bytes.Buffer

	window   chan struct{} // a slot per QoS 1 publish awaiting PUBACK
	idMu     sync.Mutex
	inflight []bool // by packet id
	nextID   uint16

	onPublish func(topic string, payload []byte) // called on the read goroutine
	subacked  chan struct{}
	done      chan struct{} // closed when the read goroutine ends
	err       error         // why it ended; read after done
}

// connOpts names a connection to the broker.
type connOpts struct {
	Addr     string // host:port
	ClientID string
	Username string // the credential; empty means none
	Window   int    // QoS 1 publishes awaiting PUBACK; at most 65535
	// OnPublish receives the PUBLISH packets the broker sends (on the
	// read goroutine: it must not block for long). Nil means ignore.
	OnPublish func(topic string, payload []byte)
}

var errClosed = errors.New("load: connection closed")

// dial connects, sends CONNECT with a clean session and waits for the
// CONNACK, then starts reading.
func dial(ctx context.Context, o connOpts) (*conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("load: dial %s: %w", o.Addr, err)
	}
	c := &conn{nc: nc, r: bufio.NewReaderSize(nc, 64<<10), w: bufio.NewWriterSize(nc, 64<<10),
		window: make(chan struct{}, max(1, min(o.Window, 65535))), inflight: make([]bool, 65536),
		onPublish: o.OnPublish, subacked: make(chan struct{}, 1), done: make(chan struct{})}
	pk := packets.Packet{
		FixedHeader:     packets.FixedHeader{Type: packets.Connect},
		ProtocolVersion: 4,
		Connect: packets.ConnectParams{ProtocolName: []byte("MQTT"), Clean: true, ClientIdentifier: o.ClientID,
			Keepalive: 0}, // no keep-alive: the connection is never idle
	}
	if o.Username != "" {
		pk.Connect.UsernameFlag, pk.Connect.Username = true, []byte(o.Username)
	}
	if err := pk.ConnectEncode(&c.buf); err != nil {
		nc.Close()
		return nil, fmt.Errorf("load: encode CONNECT: %w", err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		nc.SetDeadline(deadline)
	} else {
		nc.SetDeadline(time.Now().Add(10 * time.Second))
	}
	if _, err := c.w.Write(c.buf.Bytes()); err == nil {
		err = c.w.Flush()
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("load: send CONNECT: %w", err)
	}
	fh, body, err := c.readPacket()
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("load: read CONNACK: %w", err)
	}
	if fh.Type != packets.Connack || len(body) < 2 || body[1] != 0 {
		nc.Close()
		return nil, fmt.Errorf("load: broker refused the connection of %q: packet type %d, body %x", o.ClientID, fh.Type, body)
	}
	nc.SetDeadline(time.Time{})
	go c.read()
	return c, nil
}

// readPacket reads one packet; the body is valid until the next call.
func (c *conn) readPacket() (packets.FixedHeader, []byte, error) {
	var fh packets.FixedHeader
	hb, err := c.r.ReadByte()
	if err != nil {
		return fh, nil, err
	}
	if err := fh.Decode(hb); err != nil {
		return fh, nil, err
	}
	n, _, err := packets.DecodeLength(c.r)
	if err != nil {
		return fh, nil, err
	}
	fh.Remaining = n
	body := make([]byte, n)
	if _, err := io.ReadFull(c.r, body); err != nil {
		return fh, nil, err
	}
	return fh, body, nil
}

// read handles what the broker sends until the connection ends.
func (c *conn) read() {
	defer close(c.done)
	for {
		fh, body, err := c.readPacket()
		if err != nil {
			c.err = err
			return
		}
		switch fh.Type {
		case packets.Puback:
			if len(body) < 2 {
				c.err = fmt.Errorf("load: PUBACK of %d bytes", len(body))
				return
			}
			c.release(uint16(body[0])<<8 | uint16(body[1]))
		case packets.Publish:
			pk := packets.Packet{FixedHeader: fh, ProtocolVersion: 4}
			if err := pk.PublishDecode(body); err != nil {
				c.err = fmt.Errorf("load: PUBLISH: %w", err)
				return
			}
			if c.onPublish != nil {
				c.onPublish(pk.TopicName, pk.Payload)
			}
			if fh.Qos == 1 {
				ack := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Puback}, PacketID: pk.PacketID, ProtocolVersion: 4}
				c.wmu.Lock()
				c.buf.Reset()
				ack.PubackEncode(&c.buf)
				c.w.Write(c.buf.Bytes())
				// Flush only when nothing more is waiting to be read, so
				// that a burst of messages costs one write of PUBACKs.
				if c.r.Buffered() == 0 {
					err = c.w.Flush()
				}
				c.wmu.Unlock()
				if err != nil {
					c.err = err
					return
				}
			}
		case packets.Suback:
			select {
			case c.subacked <- struct{}{}:
			default:
			}
		}
	}
}

func (c *conn) release(id uint16) {
	c.idMu.Lock()
	was := c.inflight[id]
	c.inflight[id] = false
	c.idMu.Unlock()
	if was {
		<-c.window
	}
}

// subscribe subscribes to filters at QoS 1 and waits for the SUBACK.
func (c *conn) subscribe(ctx context.Context, filters ...string) error {
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1}, PacketID: 1, ProtocolVersion: 4}
	for _, f := range filters {
		pk.Filters = append(pk.Filters, packets.Subscription{Filter: f, Qos: 1})
	}
	c.wmu.Lock()
	c.buf.Reset()
	err := pk.SubscribeEncode(&c.buf)
	if err == nil {
		_, err = c.w.Write(c.buf.Bytes())
	}
	if err == nil {
		err = c.w.Flush()
	}
	c.wmu.Unlock()
	if err != nil {
		return fmt.Errorf("load: subscribe: %w", err)
	}
	select {
	case <-c.subacked:
		return nil
	case <-c.done:
		return fmt.Errorf("load: subscribe: %w: %v", errClosed, c.err)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// publish queues a QoS 1 PUBLISH in the write buffer, waiting while the
// window is full; flush sends what is queued. It returns errClosed once the
// connection has ended.
func (c *conn) publish(ctx context.Context, topic string, payload []byte) error {
	select {
	case c.window <- struct{}{}:
	default:
		// The window is full: send what is queued, so that the PUBACKs
		// that free it can come, then wait.
		if err := c.flush(); err != nil {
			return err
		}
		select {
		case c.window <- struct{}{}:
		case <-c.done:
			return fmt.Errorf("%w: %v", errClosed, c.err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	c.idMu.Lock()
	for c.nextID++; c.nextID == 0 || c.inflight[c.nextID]; c.nextID++ {
	}
	id := c.nextID
	c.inflight[id] = true
	c.idMu.Unlock()
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1}, TopicName: topic, Payload: payload,
		PacketID: id, ProtocolVersion: 4}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.buf.Reset()
	if err := pk.PublishEncode(&c.buf); err != nil {
		return fmt.Errorf("load: encode PUBLISH: %w", err)
	}
	if _, err := c.w.Write(c.buf.Bytes()); err != nil {
		return fmt.Errorf("load: publish: %w", err)
	}
	return nil
}

// flush writes what publish queued.
func (c *conn) flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.w.Flush(); err != nil {
		return fmt.Errorf("load: publish: %w", err)
	}
	return nil
}

// pending is how many publishes await the broker's PUBACK.
func (c *conn) pending() int { return len(c.window) }

// close sends DISCONNECT, closes the socket and waits for the read
// goroutine.
func (c *conn) close() {
	c.wmu.Lock()
	c.w.Write([]byte{packets.Disconnect << 4, 0})
	c.w.Flush()
	c.wmu.Unlock()
	c.nc.Close()
	<-c.done
}
