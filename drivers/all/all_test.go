//go:build !no_pms5003 && !no_sds011 && !no_ultrasonic && !no_ld2410 && !no_sps30 && !no_adxl345 && !no_mpu6050 && !no_bmp280 && !no_ads1115level && !no_modbuslevel && !no_raingauge && !no_door && !no_pir && !no_ebike

package all

import (
	"testing"

	"github.com/xiuhua/xiuhua/drivers/sensor"
)

// Every driver is registered under the name configs and the README use.
func TestEveryDriverRegistered(t *testing.T) {
	for _, name := range []string{"pms5003", "sds011", "ultrasonic", "ld2410", "sps30", "adxl345", "mpu6050", "bmp280", "ads1115level", "modbuslevel", "raingauge", "door", "pir", "ebike"} {
		if _, err := sensor.Lookup(name); err != nil {
			t.Error(err)
		}
	}
}
