package gpioin

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"periph.io/x/conn/v3/gpio"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
)

func TestOpen(t *testing.T) {
	spec := sensor.Spec{Name: "door", Pins: map[string]string{"input": "GPIO17"}}
	pin := newPin(gpio.High)
	board := &sensortest.Env{Pins: map[string]gpio.PinIO{"GPIO17": pin}}
	parse := func(sensor.Spec) (int, error) { return 7, nil }
	badParam := func(sensor.Spec) (int, error) { return 0, errors.New(`sensor "door": door: param pull="1"`) }
	newDev := func(p gpio.PinIn, o *int) (string, error) { return fmt.Sprintf("%s %d", p.Name(), *o), nil }
	noEdges := func(gpio.PinIn, *int) (string, error) { return "", errors.New("door: GPIO17: no edges") }

	if dev, err := Open(context.Background(), spec, board, parse, newDev); err != nil || dev != "GPIO17 7" {
		t.Errorf("Open = %q, %v; want the device built on the input pin with the parsed opts", dev, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name   string
		ctx    context.Context
		env    sensor.Env
		parse  func(sensor.Spec) (int, error)
		newDev func(gpio.PinIn, *int) (string, error)
		want   string
	}{
		{"ended ctx", ctx, board, parse, newDev, context.Canceled.Error()},
		{"a bad param before a missing pin", context.Background(), &sensortest.Env{}, badParam, newDev, `sensor "door": door: param pull="1"`},
		{"missing pin", context.Background(), &sensortest.Env{}, parse, newDev, `sensor "door": pin input=GPIO17: sensortest: no such pin "GPIO17"`},
		{"New fails", context.Background(), board, parse, noEdges, `sensor "door": door: GPIO17: no edges`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Open(tt.ctx, spec, tt.env, tt.parse, tt.newDev); err == nil || err.Error() != tt.want {
				t.Errorf("Open = %v, want %q", err, tt.want)
			}
		})
	}
}
