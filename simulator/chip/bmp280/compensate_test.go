package bmp280

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestDatasheetExample: the emulator's compensation gives the BMP280
// datasheet's worked example.
func TestDatasheetExample(t *testing.T) {
	c := DefaultCalibration
	tf := c.tFine(519888)
	if tf != 128422 {
		t.Errorf("t_fine = %d, want 128422", tf)
	}
	if p := c.pressure(415148, tf); p != 25767233 {
		t.Errorf("pressure = %d/256 Pa, want 25767233/256 (100653.25 Pa)", p)
	}
}

// TestRawRoundTrip: for values across the chip's range and every
// oversampling, the ADC codes found compensate back within the stated
// tolerances.
func TestRawRoundTrip(t *testing.T) {
	c := DefaultCalibration
	// Pressure resolution step in Pa at each oversampling (1×…16×) is
	// about 2.62/2^(os-1); the tolerance is half of it plus the output's
	// rounding.
	tolP := map[byte]float64{1: 1.5, 2: 0.8, 3: 0.4, 4: 0.2, 5: 0.1}
	r := rand.New(rand.NewPCG(1, 2))
	for os := byte(1); os <= 5; os++ {
		osT := byte(1)
		if os == 5 {
			osT = 2
		}
		vs := []Values{
			{Pressure: 101325, Temperature: 15, Humidity: 50},
			{Pressure: 30000, Temperature: -40, Humidity: 0},
			{Pressure: 110000, Temperature: 85, Humidity: 100},
			{Pressure: 99876.54, Temperature: 23.456, Humidity: 67.89},
			{Pressure: 100653.25, Temperature: 25.08, Humidity: 39.38},
		}
		for range 300 {
			vs = append(vs, Values{Pressure: 30000 + r.Float64()*80000, Temperature: -40 + r.Float64()*125, Humidity: r.Float64() * 100})
		}
		for _, v := range vs {
			t.Run(fmt.Sprintf("os%d/%v", os, v), func(t *testing.T) {
				adcT, adcP, adcH := c.raw(v, osT, os)
				if adcT&(1<<(5-osT)-1) != 0 || adcP&(1<<(5-os)-1) != 0 {
					t.Errorf("codes %#x, %#x not on the %d-bit grid", adcT, adcP, 15+os)
				}
				tf := c.tFine(adcT)
				gotT := float64((tf*5+128)>>8) / 100
				gotP := float64(c.pressure(adcP, tf)) / 256
				gotH := float64(c.humidity(adcH, tf)) / 1024
				if math.Abs(gotT-v.Temperature) > 0.01 {
					t.Errorf("temperature %v, want %v ± 0.01", gotT, v.Temperature)
				}
				if math.Abs(gotP-v.Pressure) > tolP[os] {
					t.Errorf("pressure %v, want %v ± %v", gotP, v.Pressure, tolP[os])
				}
				if math.Abs(gotH-v.Humidity) > 0.01 {
					t.Errorf("humidity %v, want %v ± 0.01", gotH, v.Humidity)
				}
			})
		}
	}
}

func TestCalibrationRegisters(t *testing.T) {
	tp, h := DefaultCalibration.registers()
	want := []byte{0x70, 0x6b, 0x43, 0x67, 0x18, 0xfc, 0x7d, 0x8e, 0x43, 0xd6}
	if string(tp[:10]) != string(want) || tp[25] != 75 {
		t.Errorf("0x88.. = % x", tp)
	}
	if h != [7]byte{0x6a, 0x01, 0x00, 0x13, 0x29, 0x03, 0x1e} {
		t.Errorf("0xE1.. = % x", h)
	}
}
