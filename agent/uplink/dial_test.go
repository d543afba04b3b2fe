package uplink

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"
)

// With Opts.Dial, paho opens its connections through it: network "tcp",
// the broker URL's host:port, a context that ends with the connect
// timeout; and only tcp:// and mqtt:// brokers are accepted.
func TestDialOpensTheConnection(t *testing.T) {
	errDialed := errors.New("test: dialed")
	var gotNet, gotAddr string
	var gotDeadline bool
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		gotNet, gotAddr = network, addr
		_, gotDeadline = ctx.Deadline()
		return nil, errDialed
	}
	u, err := New(dev, openOutbox(t, 0), Opts{Broker: "mqtt://broker.example:1884", Dial: dial})
	if err != nil {
		t.Fatal(err)
	}
	o := u.clientOptions(context.Background())
	if o.CustomOpenConnectionFn == nil {
		t.Fatal("no custom open-connection function with Opts.Dial set")
	}
	uri, _ := url.Parse("mqtt://broker.example:1884")
	if _, err := o.CustomOpenConnectionFn(uri, *o); !errors.Is(err, errDialed) {
		t.Fatalf("open connection: %v, want the dialer's error", err)
	}
	if gotNet != "tcp" || gotAddr != "broker.example:1884" || !gotDeadline {
		t.Errorf("dialed %q %q (deadline %v), want tcp broker.example:1884 with a deadline", gotNet, gotAddr, gotDeadline)
	}
	if o.ConnectTimeout != 10*time.Second {
		t.Errorf("connect timeout %v, want 10s", o.ConnectTimeout)
	}

	if o := (&Uplink{o: Opts{}}).clientOptions(context.Background()); o.CustomOpenConnectionFn != nil {
		t.Error("a custom open-connection function without Opts.Dial")
	}
	_, err = New(dev, openOutbox(t, 0), Opts{Broker: "ssl://broker.example:8883", Dial: dial})
	if err == nil || !strings.Contains(err.Error(), "tcp:// and mqtt://") {
		t.Errorf("ssl broker with a dialer: %v, want refused", err)
	}
}
