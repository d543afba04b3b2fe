package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/xiuhua/xiuhua/drivers/sensor"
)

// params collects repeated --set key=value flags.
type params map[string]string

func (p params) String() string { return fmt.Sprint(map[string]string(p)) }

func (p params) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q is not key=value", v)
	}
	p[k] = val
	return nil
}

type decodedLine struct {
	Offset   int64   `json:"offset"`
	Quantity string  `json:"quantity"`
	Value    float64 `json:"value"`
	Unit     string  `json:"unit"`
}

// decode turns a captured UART byte stream into one JSON object per
// decoded value; each bad frame is reported on stderr with its offset.
func decode(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("xiuhua-agent decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	driver := fs.String("driver", "", "the UART driver whose frames the capture holds (pms5003, sds011, ultrasonic, ld2410, modbuslevel)")
	set := params{}
	fs.Var(set, "set", "a driver param as `key=value`; may repeat")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *driver == "" {
		fmt.Fprintln(stderr, "xiuhua-agent decode: --driver is required")
		return 2
	}
	dec, err := sensor.LookupDecoder(*driver)
	if err != nil {
		fmt.Fprintf(stderr, "xiuhua-agent decode: %v\n", err)
		return 2
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	bad := 0
	err = dec(bufio.NewReader(stdin), set, func(d sensor.Decoded) {
		enc.Encode(decodedLine{Offset: d.Offset, Quantity: string(d.Quantity), Value: d.Value, Unit: d.Quantity.Unit()})
	}, func(off int64, reason string) {
		bad++
		fmt.Fprintf(stderr, "offset %d: %s\n", off, reason)
	})
	if err != nil {
		fmt.Fprintf(stderr, "xiuhua-agent decode: %v\n", err)
		return 1
	}
	return 0
}
